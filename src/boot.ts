/**
 * What bin/ocirt runs: the CLI from the bundle and its V8 code caches (scripts/build-bundle.js,
 * src/bundle.ts), or from the module files when there is no bundle or tsc wrote them after it.
 * A cache that is missing, made for another script, or refused by V8 (another Node) only costs
 * time: V8 then compiles from the text.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ID_PREFIX, BundlePart, moduleTable } from './bundle';

const DIST = path.resolve(__dirname, '..');
const MAIN = path.join(__dirname, 'cli', 'main.js');
export const PARTS = { core: path.join(DIST, 'bundle', 'core.js'), rest: path.join(DIST, 'bundle', 'rest.js') };
export const cacheOf = (script: string) => script.replace(/\.js$/, '.cache');

const idLine = (text: string) => text.slice(0, text.indexOf('\n'));

/** The cache file is the script's id line, then V8's data. */
function cacheFor(script: string, id: string): Buffer | undefined {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(cacheOf(script));
  } catch {
    return undefined;
  }
  const nl = buf.indexOf(10);
  if (nl <= 0 || buf.toString('latin1', 0, nl) !== id) return undefined;
  return buf.subarray(nl + 1);
}

function compile(script: string, source: string): BundlePart {
  const vm = require('node:vm') as typeof import('node:vm');
  const s = new vm.Script(source, { filename: script, cachedData: cacheFor(script, idLine(source)) });
  if (process.env.OCIRT_BUNDLE_DEBUG) fs.writeSync(2, `ocirt: ${path.basename(script)}: code cache ${s.cachedDataRejected === false ? 'used' : 'not used'}\n`);
  return (s.runInThisContext() as () => BundlePart)();
}

function bundled(): ((file: string) => unknown) | undefined {
  let core: string;
  try {
    // tsc rewrites every output file on each build: a main.js newer than the bundle means the
    // bundle holds older code.
    if (fs.statSync(MAIN).mtimeMs > fs.statSync(PARTS.core).mtimeMs) return undefined;
    core = fs.readFileSync(PARTS.core, 'latin1'); // the build makes it pure ASCII
  } catch {
    return undefined;
  }
  if (!core.startsWith(ID_PREFIX)) return undefined;
  const rest = (): BundlePart => {
    const source = fs.readFileSync(PARTS.rest, 'latin1');
    if (idLine(source) !== idLine(core)) throw new Error(`${PARTS.rest} is not of the build of ${PARTS.core}: run "npm run build:bundle"`);
    return compile(PARTS.rest, source);
  };
  return moduleTable(compile(PARTS.core, core), require, rest);
}

if (require.main === module) {
  const load = process.env.OCIRT_NO_BUNDLE ? undefined : bundled();
  if (load) load(MAIN);
  else require(MAIN);
}
