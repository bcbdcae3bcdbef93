/**
 * A small eBPF interpreter for the device programs (the opcodes devices-bpf.ts emits, plus the
 * checks the verifier would make: no read of an unset register, no jump out of bounds).
 */
import { decode, ACC_MKNOD, ACC_READ, ACC_WRITE, DEV_BLOCK, DEV_CHAR } from '../../src/cgroups/devices-bpf';

export function runDeviceProgram(prog: Buffer, type: 'b' | 'c', major: number, minor: number, access: string): number {
  const insns = decode(prog);
  const acc = (access.includes('m') ? ACC_MKNOD : 0) | (access.includes('r') ? ACC_READ : 0) | (access.includes('w') ? ACC_WRITE : 0);
  const ctx = [((acc << 16) | (type === 'b' ? DEV_BLOCK : DEV_CHAR)) >>> 0, major >>> 0, minor >>> 0];
  const reg: (number | undefined)[] = new Array(11).fill(undefined);
  reg[1] = -1; // the context pointer
  const get = (r: number) => {
    if (reg[r] === undefined) throw new Error(`read of unset r${r}`);
    return reg[r]!;
  };
  for (let pc = 0, steps = 0; steps < 10000; steps++) {
    if (pc < 0 || pc >= insns.length) throw new Error(`pc ${pc} out of bounds`);
    const x = insns[pc];
    switch (x.code) {
      case 0x61: {
        if (get(x.src) !== -1 || x.off % 4 !== 0 || x.off > 8) throw new Error(`bad ctx load at ${pc}`);
        reg[x.dst] = ctx[x.off / 4];
        break;
      }
      case 0xbc:
        reg[x.dst] = get(x.src) >>> 0;
        break;
      case 0x54:
        reg[x.dst] = (get(x.dst) & x.imm) >>> 0;
        break;
      case 0x74:
        reg[x.dst] = get(x.dst) >>> x.imm;
        break;
      case 0xb7:
        reg[x.dst] = x.imm;
        break;
      case 0x56:
        if (get(x.dst) >>> 0 !== x.imm >>> 0) pc += x.off;
        break;
      case 0x95:
        return get(0);
      default:
        throw new Error(`unexpected opcode 0x${x.code.toString(16)} at ${pc}`);
    }
    pc++;
  }
  throw new Error('no exit');
}
