/**
 * `run` with a terminal and no --console-socket: ocirt itself holds the pty master and relays it
 * to its own stdio, with the local terminal in raw mode so keys reach the container unchanged.
 */
import * as fs from 'node:fs';
import * as tty from 'node:tty';

export function relayTerminal(masterFd: number): { done: Promise<void> } {
  const input = fs.createReadStream('', { fd: masterFd, autoClose: false, highWaterMark: 16 * 1024 });
  const output = fs.createWriteStream('', { fd: masterFd, autoClose: false });
  const stdin = process.stdin;
  const raw = stdin.isTTY ? (stdin as tty.ReadStream) : undefined;
  raw?.setRawMode(true);
  stdin.pipe(output);
  // The container's terminal takes the size of ours, now and whenever ours changes.
  const out = process.stdout.isTTY ? (process.stdout as tty.WriteStream) : undefined;
  const resize = () => {
    if (out?.rows && out.columns) (require('../native') as typeof import('../native')).native().setWinsize(masterFd, out.rows, out.columns);
  };
  out?.on('resize', resize);
  resize();
  const done = new Promise<void>((resolve) => {
    const finish = () => {
      out?.off('resize', resize);
      raw?.setRawMode(false);
      stdin.unpipe(output);
      stdin.pause();
      try {
        fs.closeSync(masterFd);
      } catch {
        /* closed already */
      }
      resolve();
    };
    // The master reads EIO once the last slave fd in the container is closed.
    input.on('error', finish);
    input.on('end', finish);
  });
  input.pipe(process.stdout, { end: false });
  return { done };
}
