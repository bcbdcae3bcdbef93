/**
 * What bin/ocirt runs: the CLI from the bundle and its V8 code caches (scripts/build-bundle.js),
 * or from the module files when there is no bundle or tsc wrote them after it. A cache that is
 * missing, made for another script, or refused by V8 (another Node) only costs time: V8 then
 * compiles from the text. The bundle's module system is here too: one file less to load.
 *
 * Why a bundle: Node resolves, reads and compiles every CommonJS file on its own, about half a
 * millisecond each, and a short command such as `state` loads a dozen; as one script, V8 takes
 * all their code from one code cache instead.
 *
 * The bundle is two scripts, each with its own code cache: the core, what the short commands
 * (state, start, kill, delete, list, pause...) load, and the rest, compiled only when a module
 * of it is first required (by create, run, exec...). Each evaluates to a table of module
 * factories keyed by file (the tsc output path, so __dirname and __filename are what they would
 * be unbundled). A request that neither answers (builtins, node_modules, the addon, JSON, the
 * generated validators) goes to Node's own require.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type Factory = (exports: unknown, require: NodeRequire, module: BundledModule, filename: string, dirname: string) => void;

export interface BundledModule {
  id: string;
  filename: string;
  path: string;
  exports: unknown;
  loaded: boolean;
}

/** The id line every file of a bundle starts with: a cache fits only its own script, and the two parts only each other. */
export const ID_PREFIX = '// ocirt bundle ';

/** What a part of the bundle evaluates to: its factories, and the files the other part holds. */
export interface BundlePart {
  modules: Record<string, Factory>;
  elsewhere: string[];
}

export function wrapBundle(id: string, body: string, elsewhere: string[]): string {
  return `${ID_PREFIX}${id}\n(function () {\nreturn { elsewhere: ${JSON.stringify(elsewhere)}, modules: {\n${body}} };\n})`;
}

export function moduleEntry(file: string, source: string): string {
  return `${JSON.stringify(file)}: function (exports, require, module, __filename, __dirname) {${source}\n},\n`;
}

/**
 * A loader over the factories; `nodeRequire` answers what the bundle does not hold. Returns
 * load(file), which evaluates a module once and gives its exports.
 */
export function moduleTable(
  part: BundlePart,
  nodeRequire: NodeRequire,
  /** Compiles the other part, on the first request for a file it holds. */
  other?: () => BundlePart,
): (file: string) => unknown {
  const cache: Record<string, BundledModule> = Object.create(null);
  const factories = part.modules;
  let elsewhere: Set<string> | undefined = other && new Set(part.elsewhere);

  const candidates = (base: string) => [base, base + '.js', base + '/index.js'];
  const resolveIn = (dir: string, request: string): string | undefined => {
    const base = path.resolve(dir, request);
    for (const c of candidates(base)) if (factories[c]) return c;
    if (!elsewhere || !candidates(base).some((c) => elsewhere!.has(c))) return undefined;
    elsewhere = undefined;
    Object.assign(factories, other!().modules);
    return resolveIn(dir, request);
  };

  const makeRequire = (dir: string): NodeRequire => {
    const req = ((request: string) => {
      if (request.startsWith('./') || request.startsWith('../') || request.startsWith('/')) {
        const file = resolveIn(dir, request);
        return file ? load(file) : nodeRequire(path.resolve(dir, request));
      }
      return nodeRequire(request);
    }) as NodeRequire;
    req.cache = cache as unknown as NodeJS.Dict<NodeModule>;
    req.resolve = ((request: string) =>
      (request.startsWith('.') && resolveIn(dir, request)) || nodeRequire.resolve(request.startsWith('.') ? path.resolve(dir, request) : request)) as NodeRequire['resolve'];
    return req;
  };

  function load(file: string): unknown {
    const hit = cache[file];
    if (hit) return hit.exports;
    const dir = path.dirname(file);
    const mod: BundledModule = { id: file, filename: file, path: dir, exports: {}, loaded: false };
    cache[file] = mod;
    try {
      factories[file].call(mod.exports, mod.exports, makeRequire(dir), mod, file, dir);
    } catch (e) {
      delete cache[file];
      throw e;
    }
    mod.loaded = true;
    return mod.exports;
  }

  return (file) => {
    const f = resolveIn('/', file);
    return f ? load(f) : nodeRequire(file);
  };
}

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
