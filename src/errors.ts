/**
 * The one error convention of ocirt.
 *
 * Every failure that a user or an engine may see is an OcirtError. Its message is written for a
 * human and matched by engines, in one of two shapes:
 *  - runc's phrase, verbatim, wherever engines match runc ("container "x" does not exist",
 *    "cannot start container "x": container not running", hook failures' "exit status 4"):
 *    containerd, podman and Docker map these to their own errors and exit codes;
 *  - otherwise `<what>: <why>`. `<what>` is the step and the object it acted on ("mkfifo
 *    /run/ocirt/c1/exec.fifo", "mount proc on /proc"); when the object comes from config.json it
 *    names its place there, "(config.json /mounts/1)", and the error carries that JSON pointer
 *    in `pointer` (config validation, which collects several problems, leads each line with
 *    file:line:column and the pointer instead). `<why>` is the kernel's errno text when the
 *    kernel refused: errnoText(), from the one errno table (contract/contract.json, shared with
 *    the C++ side through src/plan/contract.gen.ts), so the same errno reads the same from
 *    TypeScript, the addon and the init.
 * No module adds prefixes to another's message, and no code reads message text to decide what to
 * do: `code` says what kind of failure it was (the errno code such as ENOENT when the kernel
 * refused, or ECORRUPT for a damaged state record), and a config place is kept in parts so that
 * exec --process can name its own file instead (inFile). The CLI prints the message only.
 */
import { ERRNO } from './plan/contract.gen';

/** A message naming a place in config.json: `${head} (config.json ${pointer})${tail}`. */
interface Placed {
  head: string;
  tail: string;
}

export class OcirtError extends Error {
  readonly pointer?: string;
  /** What kind of failure: the errno code (EPERM, ENOENT, ...) when the kernel refused, or ECORRUPT. */
  readonly code?: string;
  /** The message around its "(config.json <pointer>)", when it names one (configError). */
  readonly placed?: Placed;

  constructor(message: string, opts: { pointer?: string; code?: string; cause?: unknown; placed?: Placed } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'OcirtError';
    this.pointer = opts.pointer;
    this.code = opts.code;
    this.placed = opts.placed;
  }

  /**
   * The same error placed in another file: exec --process reads the process from its own file,
   * whose `pointer` is this error's relative to the config's /process. Unchanged when the
   * message names no place.
   */
  inFile(file: string, pointer: string): OcirtError {
    if (!this.placed) return this;
    const { head, tail } = this.placed;
    return new OcirtError(`${head} (${file} ${pointer})${tail}`, { pointer: this.pointer, code: this.code, cause: this, placed: this.placed });
  }
}

/** An error about the config value at `pointer`: "<head> (config.json <pointer>)<tail>". */
export function configError(head: string, pointer: string, tail = '', opts: { code?: string; cause?: unknown } = {}): OcirtError {
  return new OcirtError(`${head} (config.json ${pointer})${tail}`, { ...opts, pointer, placed: { head, tail } });
}

/** Several independent problems found at once (config validation collects them all). */
export class OcirtErrors extends OcirtError {
  readonly errors: OcirtError[];
  constructor(errors: OcirtError[]) {
    super(errors.map((e) => e.message).join('\n'));
    this.name = 'OcirtErrors';
    this.errors = errors;
  }
}

export function isOcirtError(e: unknown): e is OcirtError {
  return e instanceof OcirtError;
}

/** The strerror texts engines match on (podman maps some of them to exit codes 126/127), by code. */
export const ERRNO_TEXT: Readonly<Record<string, string>> = Object.fromEntries(Object.values(ERRNO).map(([code, text]) => [code, text]));

/**
 * The text of an errno, given as a number (the sign is ignored: syscalls and the addon return
 * -errno) or as Node's code ("ENOENT"). An errno outside the table reads "errno N", or its code.
 */
export function errnoText(errno: number | string): string {
  if (typeof errno === 'number') return ERRNO[Math.abs(errno)]?.[1] ?? `errno ${Math.abs(errno)}`;
  return ERRNO_TEXT[errno] ?? errno;
}

/** The errno code of a number (EPERM for 1), when the table has it. */
export function errnoCode(errno: number): string | undefined {
  return ERRNO[Math.abs(errno)]?.[0];
}

/** Whether a Node error carries an errno code (ENOENT, ...), not one of Node's own (ERR_...). */
export function hasErrnoCode(err: NodeJS.ErrnoException | undefined): err is NodeJS.ErrnoException & { code: string } {
  return !!err && typeof err.code === 'string' && /^E[A-Z0-9]+$/.test(err.code);
}

/** Why a Node fs call failed, without the call: "no such file or directory". */
export function systemErrorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (hasErrnoCode(err)) return errnoText(err.code);
  return err instanceof Error ? err.message : String(e);
}

/** A node fs error as a one-line message: "open /x/config.json: no such file or directory". */
export function describeSystemError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (!hasErrnoCode(err)) return systemErrorText(e);
  const where = err.syscall ? `${err.syscall}${err.path ? ' ' + err.path : ''}: ` : '';
  return `${where}${errnoText(err.code)}`;
}
