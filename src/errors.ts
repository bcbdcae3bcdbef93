/**
 * The one error convention of ocirt.
 *
 * Every failure that a user or an engine may see is an OcirtError. Its message is a single
 * line written for a human and matched by engines (runc's phrases such as "does not exist" or
 * "container not running" must appear verbatim), so no module formats its own prefixes.
 * `pointer` names the place in config.json the error came from, when there is one; the CLI
 * prints the message only, since validators already fold pointer and line:column into it.
 */
export class OcirtError extends Error {
  readonly pointer?: string;
  /** errno-style code when the error came from the kernel (EPERM, ENOENT, ...). */
  readonly code?: string;

  constructor(message: string, opts: { pointer?: string; code?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'OcirtError';
    this.pointer = opts.pointer;
    this.code = opts.code;
  }
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

/** A node fs error as a one-line message: "open /x/config.json: no such file or directory". */
export function describeSystemError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string') {
    const text = ERRNO_TEXT[err.code] ?? err.code.toLowerCase();
    const where = err.syscall ? `${err.syscall}${err.path ? ' ' + err.path : ''}: ` : '';
    return `${where}${text}`;
  }
  return err instanceof Error ? err.message : String(e);
}

/** The strerror texts engines match on (podman maps some of them to exit codes 126/127). */
export const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'file exists',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EINVAL: 'invalid argument',
  ESRCH: 'no such process',
  EBUSY: 'device or resource busy',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  ELOOP: 'too many levels of symbolic links',
  ENOSYS: 'function not implemented',
  EXDEV: 'invalid cross-device link',
  ENOEXEC: 'exec format error',
  E2BIG: 'argument list too long',
  ENOMEM: 'cannot allocate memory',
  EAGAIN: 'resource temporarily unavailable',
  EPIPE: 'broken pipe',
};
