/**
 * Limits: what validate accepts, create's plan and encoding handle; what they cannot, validate
 * refuses by pointer. Nothing here may end in a bare RangeError or a stack overflow.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../src/spec/load';
import { buildPlan } from '../../src/plan/build';
import { encodePlan } from '../../src/plan/encode';
import { MAX_ARGS, MAX_ENV, MAX_GIDS, MAX_HOOK_ARGS } from '../../src/spec/semantic';
import { defaultTestConfig } from '../helpers/bundle';

function plan(config: any): Buffer {
  const { config: c } = parseConfig(JSON.stringify(config));
  const p = buildPlan(c, { bundle: '/b', noPivot: false, preserveFds: 0, listenFds: 2, host: { apparmor: false, selinux: false, rootless: false }, cgroup: [], idmapFds: new Map() } as any);
  return encodePlan(p);
}

function refused(config: any, pointer: string): void {
  assert.throws(() => parseConfig(JSON.stringify(config)), (e: Error) => e.message.includes(` ${pointer}: `) && /ocirt passes at most/.test(e.message), pointer);
}

test('args, env, groups and hook args up to the limits plan and encode; one more is refused by pointer', () => {
  const c = defaultTestConfig();
  c.process.args = ['/bin/true', ...Array.from({ length: MAX_ARGS - 1 }, () => 'a')];
  c.process.env = Array.from({ length: MAX_ENV }, (_, i) => `V${i}=1`);
  c.process.user.additionalGids = Array.from({ length: MAX_GIDS }, (_, i) => i);
  c.hooks = { startContainer: [{ path: '/bin/true', args: Array.from({ length: MAX_HOOK_ARGS }, () => 'a'), env: Array.from({ length: MAX_HOOK_ARGS }, () => 'A=1') }] };
  assert.ok(plan(c).length > 0, 'at the limits, with LISTEN_FDS added');
  for (const [pointer, grow] of [
    ['/process/args', (x: any) => x.process.args.push('a')],
    ['/process/env', (x: any) => x.process.env.push('B=1')],
    ['/process/user/additionalGids', (x: any) => x.process.user.additionalGids.push(1)],
    ['/hooks/startContainer/0/args', (x: any) => x.hooks.startContainer[0].args.push('a')],
    ['/hooks/startContainer/0/env', (x: any) => x.hooks.startContainer[0].env.push('A=1')],
  ] as const) {
    const more = JSON.parse(JSON.stringify(c));
    grow(more);
    refused(more, pointer);
  }
});

test('200,000 readonlyPaths and maskedPaths plan and encode (no stack overflow)', () => {
  const c = defaultTestConfig();
  c.linux.readonlyPaths = Array.from({ length: 200_000 }, (_, i) => `/ro/${i}`);
  c.linux.maskedPaths = Array.from({ length: 200_000 }, (_, i) => `/masked/${i}`);
  assert.ok(plan(c).length > 400_000);
});

test('an operation beyond the wire format names its place in config.json', () => {
  const op = { kind: 1, ints: [], strs: Array.from({ length: 70_000 }, () => 'x'), pointer: '/process/args', what: 'look up x' };
  assert.throws(() => encodePlan({ ops: [op as any] }), /^look up x \(config\.json \/process\/args\): 70000 values/);
});

test.run();
