import type { Invocation } from '../table';
import { OcirtErrors } from '../../errors';
import { loadBundle } from '../../spec/load';
import { warn } from '../../log';

export function run(inv: Invocation): number {
  try {
    const b = loadBundle(inv.flags.bundle as string);
    for (const w of b.warnings) warn(w);
    process.stdout.write(`${b.configPath}: valid\n`);
    return 0;
  } catch (e) {
    // Every problem on its own line, on stdout too: validate's output is its product.
    if (e instanceof OcirtErrors) {
      for (const err of e.errors) process.stdout.write(err.message + '\n');
      process.stderr.write(`${e.errors.length} problem${e.errors.length === 1 ? '' : 's'} found\n`);
      return 1;
    }
    throw e;
  }
}
