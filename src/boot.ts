/**
 * What bin/ocirt runs: the CLI from the one-file bundle and its V8 code cache
 * (scripts/build-bundle.js), or from the module files when there is no bundle or tsc wrote them
 * after it. A cache that is missing, made for another bundle, or refused by V8 (another Node)
 * only costs time: V8 then compiles from the text.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ID_PREFIX, Factory, moduleTable } from './bundle';

const DIST = path.resolve(__dirname, '..');
const MAIN = path.join(__dirname, 'cli', 'main.js');
export const BUNDLE = path.join(DIST, 'bundle', 'ocirt.js');
export const CACHE = path.join(DIST, 'bundle', 'ocirt.cache');

/** The cache file is the bundle's id line, then V8's data. */
function cacheFor(source: string): Buffer | undefined {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(CACHE);
  } catch {
    return undefined;
  }
  const nl = buf.indexOf(10);
  if (nl <= 0 || buf.toString('latin1', 0, nl) !== source.slice(0, source.indexOf('\n'))) return undefined;
  return buf.subarray(nl + 1);
}

function bundled(): ((file: string) => unknown) | undefined {
  let source: string;
  try {
    // tsc rewrites every output file on each build: a main.js newer than the bundle means the
    // bundle holds older code.
    if (fs.statSync(MAIN).mtimeMs > fs.statSync(BUNDLE).mtimeMs) return undefined;
    source = fs.readFileSync(BUNDLE, 'latin1'); // the build makes it pure ASCII
  } catch {
    return undefined;
  }
  if (!source.startsWith(ID_PREFIX)) return undefined;
  const vm = require('node:vm') as typeof import('node:vm');
  const script = new vm.Script(source, { filename: BUNDLE, cachedData: cacheFor(source) });
  if (process.env.OCIRT_BUNDLE_DEBUG) fs.writeSync(2, `ocirt: bundle code cache ${script.cachedDataRejected === false ? 'used' : 'not used'}\n`);
  return moduleTable((script.runInThisContext() as () => Record<string, Factory>)(), require);
}

if (require.main === module) {
  const load = process.env.OCIRT_NO_BUNDLE ? undefined : bundled();
  if (load) load(MAIN);
  else require(MAIN);
}
