/**
 * The module system of the one-file bundle (scripts/build-bundle.js). Node resolves, reads and
 * compiles every CommonJS file on its own, about half a millisecond each, and a short command
 * such as `state` loads a dozen; compiling them as one script lets V8 take all their code from
 * one code cache instead.
 *
 * The bundle is two scripts, each with its own code cache: the core, what the short commands
 * (state, start, kill, delete, list, pause...) load, and the rest, compiled only when a module
 * of it is first required (by create, run, exec...). Each evaluates to a table of module
 * factories keyed by file (the tsc output path, so __dirname and __filename are what they would
 * be unbundled). A request that neither answers (builtins, node_modules, the addon, JSON, the
 * generated validators) goes to Node's own require.
 */
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
