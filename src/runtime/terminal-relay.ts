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
  const done = new Promise<void>((resolve) => {
    const finish = () => {
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
