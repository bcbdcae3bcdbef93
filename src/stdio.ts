/**
 * Output to fds 1 and 2 by write(2), not through process.stdout/stderr: the first touch of
 * either builds Node's stream stack (some twenty internal modules, and net for a pipe), which
 * costs every short command about 3 ms. Engines read our output from pipes, which Node would
 * write synchronously anyway, so nothing is lost. A non-blocking fd inherited from the caller
 * is waited on; a reader that went away (EPIPE) is not an error of ours.
 */
import * as fs from 'node:fs';

let pause: Int32Array | undefined;

function writeAll(fd: number, text: string): void {
  let buf = Buffer.from(text, 'utf8');
  while (buf.length > 0) {
    try {
      const n = fs.writeSync(fd, buf);
      buf = buf.subarray(n);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait((pause ??= new Int32Array(new SharedArrayBuffer(4))), 0, 0, 1);
        continue;
      }
      if (code === 'EPIPE') return;
      throw e;
    }
  }
}

export function stdout(text: string): void {
  writeAll(1, text);
}

export function stderr(text: string): void {
  try {
    writeAll(2, text);
  } catch {
    // Nowhere left to report a failure to report.
  }
}
