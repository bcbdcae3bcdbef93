/** Where a container's state lives, and which ids may name one. */
import * as path from 'node:path';
import { OcirtError } from '../errors';

/** --root when none is given (src/cli/table.ts; addon/fastpath.c writes it again, in C). */
export const DEFAULT_ROOT = '/run/ocirt';

// runc's character set; the first character may not be a dot, which also rules out "." and "..".
const ID_RE = /^[\w+\-][\w+.\-]*$/;

export function validateId(id: string): void {
  if (typeof id !== 'string' || id === '') throw new OcirtError('container id cannot be empty');
  if (id.length > 1024 || !ID_RE.test(id)) {
    throw new OcirtError(`invalid container id "${id}": use letters, digits, "_", "+", "-" and "." (not first), no "/" or ".."`);
  }
}

export function containerDir(root: string, id: string): string {
  validateId(id);
  return path.join(path.resolve(root), id);
}

export const STATE_FILE = 'state.json';
export const EXEC_FIFO = 'exec.fifo';
/** The config as create checked it: exec reads this, not the bundle, which may have changed since. */
export const SAVED_CONFIG = 'config.json';
/** What a create is about to make (store.ts Intent), written before it makes it. */
export const INTENT_FILE = 'intent.json';
