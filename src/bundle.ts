/**
 * The module system of the one-file bundle (scripts/build-bundle.js). Node resolves, reads and
 * compiles every CommonJS file on its own, about half a millisecond each, and a short command
 * such as `state` loads a dozen; compiling them as one script lets V8 take all their code from
 * one code cache instead.
 *
 * The bundle evaluates to a table of module factories keyed by file (the tsc output path, so
 * __dirname and __filename are what they would be unbundled). A request that the table cannot
 * answer (builtins, node_modules, the addon, JSON, the generated validators) goes to Node's own
 * require, made relative to the requesting file.
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

/** The id line both files of a bundle start with; the cache fits only its own bundle. */
export const ID_PREFIX = '// ocirt bundle ';

export function wrapBundle(id: string, body: string): string {
  return `${ID_PREFIX}${id}\n(function () {\nreturn {\n${body}};\n})`;
}

export function moduleEntry(file: string, source: string): string {
  return `${JSON.stringify(file)}: function (exports, require, module, __filename, __dirname) {${source}\n},\n`;
}

/**
 * A loader over the factories; `nodeRequire` answers what the bundle does not hold. Returns
 * load(file), which evaluates a module once and gives its exports.
 */
export function moduleTable(factories: Record<string, Factory>, nodeRequire: NodeRequire): (file: string) => unknown {
  const cache: Record<string, BundledModule> = Object.create(null);

  const resolveIn = (dir: string, request: string): string | undefined => {
    const base = path.resolve(dir, request);
    for (const c of [base, base + '.js', base + '/index.js']) if (factories[c]) return c;
    return undefined;
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

  return load;
}
