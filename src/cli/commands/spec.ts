import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Invocation } from '../table';
import { OcirtError, describeSystemError } from '../../errors';
import { defaultSpec } from '../../spec/default';

export function run(inv: Invocation): number {
  const bundle = inv.flags.bundle as string;
  const file = path.join(bundle, 'config.json');
  if (!fs.existsSync(bundle)) throw new OcirtError(`bundle "${bundle}" does not exist`);
  if (fs.existsSync(file)) throw new OcirtError(`file ${file} exists: remove it first`);
  try {
    fs.writeFileSync(file, JSON.stringify(defaultSpec({ rootless: !!inv.flags.rootless }), null, '\t') + '\n', { mode: 0o666 });
  } catch (e) {
    throw new OcirtError(`write ${file}: ${describeSystemError(e)}`);
  }
  return 0;
}
