import type { Invocation } from '../table';
import { OcirtErrors } from '../../errors';
import { loadBundle } from '../../spec/load';
import { warn } from '../../log';
import { stdout, stderr } from '../../stdio';

export function run(inv: Invocation): number {
  try {
    const b = loadBundle(inv.flags.bundle as string);
    for (const w of b.warnings) warn(w);
    stdout(`${b.configPath}: valid\n`);
    return 0;
  } catch (e) {
    // Every problem on its own line, on stdout too: validate's output is its product.
    if (e instanceof OcirtErrors) {
      for (const err of e.errors) stdout(err.message + '\n');
      stderr(`${e.errors.length} problem${e.errors.length === 1 ? '' : 's'} found\n`);
      return 1;
    }
    throw e;
  }
}
