/**
 * The far end of --console-socket for tests: a small Python program that accepts one
 * connection, takes the pty master sent with it, and prints "fds N" and then what the pty says
 * until the process on it is gone.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { waitFor } from './cli';

export interface ConsoleReceiver {
  sock: string;
  /** What it printed so far. */
  output(): string;
  /** Resolves when it has ended and all its output is read ('close', not 'exit'). */
  ended: Promise<void>;
  close(): void;
}

export function consoleReceiver(): ConsoleReceiver {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-console-'));
  const sock = path.join(dir, 'console.sock');
  const recv = spawn('/usr/bin/python3', ['-c', RECEIVER, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  let got = '';
  recv.stdout.on('data', (d) => (got += d));
  const ended = new Promise<void>((resolve) => recv.on('close', () => resolve()));
  const close = () => {
    recv.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  if (!waitFor(() => fs.existsSync(sock + '.ready'))) {
    close();
    throw new Error('the console receiver did not start');
  }
  return { sock, output: () => got, ended, close };
}

const RECEIVER = `
import os, select, socket, sys
p = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(p); s.listen(1)
open(p + '.ready', 'w').close()
c, _ = s.accept()
msg, fds, _f, _a = socket.recv_fds(c, 4096, 4)
print('fds', len(fds), flush=True)
out = b''
while True:
    r, _, _ = select.select([fds[0]], [], [], 30)
    if not r: break
    try:
        d = os.read(fds[0], 4096)
    except OSError:
        break
    if not d: break
    out += d
sys.stdout.write(out.decode(errors='replace')); sys.stdout.flush()
`;
