/**
 * The addon's parent side fails one way (addon/errors.h): an Error "<what>: <errno text>" with
 * the errno's number and name, the text from the contract's errno table; and it passes an fd
 * with its message whole (addon/syscalls.cc SendWithFd, the code the init's records use too).
 * sendFd needs no privilege, so these run as any user.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { native } from '../../src/native';

function withTmp<T>(fn: (dir: string) => Promise<T> | T): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-addon-'));
  return Promise.resolve()
    .then(() => fn(dir))
    .finally(() => fs.rmSync(dir, { recursive: true, force: true }));
}

function thrown(fn: () => void): Error & { errno?: number; code?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { errno?: number; code?: string };
  }
  throw new Error('it did not throw');
}

test('a kernel error is "<what>: <errno text>" with .errno and .code', () =>
  withTmp((dir) => {
    const sock = path.join(dir, 'missing.sock');
    const e = thrown(() => native().sendFd(sock, 0));
    assert.is(e.message, `connect ${sock}: no such file or directory`);
    assert.is(e.errno, 2);
    assert.is(e.code, 'ENOENT');
    const long = path.join(dir, 'x'.repeat(120));
    const t = thrown(() => native().sendFd(long, 0));
    assert.is(t.message, `connect ${long}: file name too long`);
    assert.is(t.code, 'ENAMETOOLONG');
  }));

test('a socket nobody listens on: connection refused, from the same table', () =>
  withTmp((dir) => {
    const sock = path.join(dir, 'stale.sock');
    // Bound and left behind by a process that has gone: the file stays, nobody accepts.
    const r = spawnSync('/usr/bin/python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).bind(sys.argv[1])', sock]);
    assert.is(r.status, 0, String(r.stderr));
    const e = thrown(() => native().sendFd(sock, 0));
    assert.is(e.message, `connect ${sock}: connection refused`);
    assert.is(e.code, 'ECONNREFUSED');
  }));

const RECEIVER = `
import json, os, socket, sys
p = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(p); s.listen(1)
open(p + '.ready', 'w').close()
c, _ = s.accept()
msg, fds, _f, _a = socket.recv_fds(c, 1 << 16, 4)
while True:
    d = c.recv(1 << 16)
    if not d: break
    msg += d
os.lseek(fds[0], 0, 0)
print(json.dumps({'fds': len(fds), 'len': len(msg), 'ok': msg == b'm' * len(msg), 'file': os.read(fds[0], 100).decode()}))
`;

test('sendFd: the fd rides with the first part of the message, the rest follows whole', () =>
  withTmp(async (dir) => {
    const sock = path.join(dir, 'recv.sock');
    const file = path.join(dir, 'payload');
    fs.writeFileSync(file, 'the passed file');
    const recv = spawn('/usr/bin/python3', ['-c', RECEIVER, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    recv.stdout.on('data', (d) => (out += d));
    const closed = new Promise<number | null>((resolve) => recv.on('close', resolve));
    try {
      for (let i = 0; i < 200 && !fs.existsSync(sock + '.ready'); i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(fs.existsSync(sock + '.ready'), 'the receiver did not start');
      const fd = fs.openSync(file, 'r');
      try {
        native().sendFd(sock, fd, 'm'.repeat(300_000));
      } finally {
        fs.closeSync(fd);
      }
      assert.is(await closed, 0);
      assert.equal(JSON.parse(out), { fds: 1, len: 300_000, ok: true, file: 'the passed file' });
    } finally {
      recv.kill('SIGKILL');
    }
  }));

test.run();
