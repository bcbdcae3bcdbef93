/**
 * Schema validation with the validators generated at build time (spec-schemas/build.js):
 * nothing is compiled from a schema at run time.
 *
 * ajv reports one terse record per failed keyword ("must be >= 0"). This module turns them
 * into one sentence per problem that says what was expected and what was found, using the
 * "expectations" tree the build derives from the schemas:
 *   /process/args/0: must be a string, but found 5
 *   /linux/devices/0: missing required properties "major" and "minor" (each a signed 64-bit integer)
 * It also folds away ajv's bookkeeping records (the failing `if`, an `anyOf` and the branch
 * errors under it, `propertyNames` and its sub-error).
 *
 * Loading: the generated module is ~200 KiB of code, and compiling it is most of its cost.
 * The build also writes a V8 code cache of it (validators.cache, made after running the
 * validators once, so it holds their compiled functions too). When that cache is present and
 * belongs to this validators.js, the module is compiled from it (loading and a first validation
 * take less than half the time);
 * otherwise, or when V8 rejects the cache (another Node version), it is simply required.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OcirtError } from '../errors';
import { pointerTokens, valueAt } from './pointer';

export type DocumentKind = 'config' | 'state' | 'features';

interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, any>;
  propertyName?: string;
}

type ValidateFn = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

/** A node of the expectations tree: phrase, properties, array items, map values. */
interface Expect {
  e?: string;
  p?: Record<string, Expect>;
  i?: Expect;
  a?: Expect;
}

interface Validators {
  validateConfig: ValidateFn;
  validateState: ValidateFn;
  validateFeatures: ValidateFn;
  expectations: Record<DocumentKind, Expect>;
}

/** One schema problem: where (a JSON pointer) and what, as a phrase without the place. */
export interface Problem {
  pointer: string;
  message: string;
}

export const VALIDATORS_FILE = path.resolve(__dirname, '../../spec-schemas/validators.js');

let loaded: Validators | undefined;

function loadValidators(): Validators {
  if (loaded) return loaded;
  let source: string;
  try {
    source = fs.readFileSync(VALIDATORS_FILE, 'latin1'); // the build makes it pure ASCII
  } catch {
    throw new OcirtError(`schema validators not built: ${VALIDATORS_FILE} is missing (run "npm run build:validators")`);
  }
  const cached = readCodeCache(source);
  if (!cached) {
    loaded = require(VALIDATORS_FILE) as Validators;
    return loaded;
  }
  const vm = require('node:vm') as typeof import('node:vm');
  const { createRequire } = require('node:module') as typeof import('node:module');
  const script = new vm.Script(wrapModule(source), { filename: VALIDATORS_FILE, cachedData: cached });
  const mod = { exports: {} as Validators };
  script.runInThisContext()(mod.exports, createRequire(VALIDATORS_FILE), mod, VALIDATORS_FILE, path.dirname(VALIDATORS_FILE));
  loaded = mod.exports;
  return loaded;
}

/**
 * The wrapper the code cache was made with (spec-schemas/build.js uses the same one: a code
 * cache only fits the exact source it was made from).
 */
export function wrapModule(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}

/**
 * The cache file starts with the first line of the validators.js it was made for (which
 * carries a build id), then a newline, then V8's data.
 */
function readCodeCache(source: string): Buffer | undefined {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(VALIDATORS_FILE.replace(/\.js$/, '.cache'));
  } catch {
    return undefined;
  }
  const nl = buf.indexOf(10);
  const firstLine = source.slice(0, source.indexOf('\n'));
  if (nl <= 0 || buf.toString('latin1', 0, nl) !== firstLine) return undefined;
  return buf.subarray(nl + 1);
}

/** Runs the generated validator of `kind` and translates its errors. Empty when valid. */
export function schemaProblems(kind: DocumentKind, doc: unknown): Problem[] {
  const v = loadValidators();
  const fn = kind === 'config' ? v.validateConfig : kind === 'state' ? v.validateState : v.validateFeatures;
  if (fn(doc)) return [];
  return translate(fn.errors ?? [], doc, v.expectations[kind]);
}

/** The state and features checks for callers that want plain lines ("/pointer: message"). */
export function validateState(doc: unknown): string[] {
  return schemaProblems('state', doc).map(formatProblem);
}

export function validateFeatures(doc: unknown): string[] {
  const out = schemaProblems('features', doc).map(formatProblem);
  const f = doc as { ociVersionMin?: unknown; ociVersionMax?: unknown };
  if (out.length === 0 && compareSemver(String(f.ociVersionMax), String(f.ociVersionMin)) < 0) {
    out.push(`/ociVersionMax: must not be lower than ociVersionMin (${f.ociVersionMin}), but found ${JSON.stringify(f.ociVersionMax)}`);
  }
  return out;
}

function formatProblem(p: Problem): string {
  return `${p.pointer || '/'}: ${p.message}`;
}

/** Orders two SemVer strings by their release numbers and pre-release (build metadata ignored). */
export function compareSemver(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^(\d+)\.(\d+)\.(\d+)(?:-([^+]*))?/.exec(v);
    return m ? { nums: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] } : { nums: [0, 0, 0], pre: undefined };
  };
  const x = parse(a);
  const y = parse(b);
  for (let k = 0; k < 3; k++) if (x.nums[k] !== y.nums[k]) return x.nums[k] - y.nums[k];
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  const xs = x.pre.split('.');
  const ys = y.pre.split('.');
  for (let k = 0; k < Math.max(xs.length, ys.length); k++) {
    if (xs[k] === undefined) return -1;
    if (ys[k] === undefined) return 1;
    const xn = /^\d+$/.test(xs[k]);
    const yn = /^\d+$/.test(ys[k]);
    if (xn && yn && Number(xs[k]) !== Number(ys[k])) return Number(xs[k]) - Number(ys[k]);
    if (xn !== yn) return xn ? -1 : 1;
    if (xs[k] !== ys[k]) return xs[k] < ys[k] ? -1 : 1;
  }
  return 0;
}

// ---- translation -------------------------------------------------------------------------------

/** The expectation node at an instance pointer: property names first, then items or map values. */
function expectAt(root: Expect | undefined, pointer: string, doc: unknown): Expect | undefined {
  let node = root;
  let value: any = doc;
  for (const t of pointerTokens(pointer)) {
    if (!node) return undefined;
    if (Array.isArray(value)) node = node.i;
    else if (node.p && Object.prototype.hasOwnProperty.call(node.p, t)) node = node.p[t];
    else node = node.a;
    value = value !== null && typeof value === 'object' ? value[t] : undefined;
  }
  return node;
}

const TYPE_NOUN: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

/** What an ajv record says was expected, when the tree has nothing better. */
function fallbackExpected(e: AjvError): string {
  const p = e.params;
  switch (e.keyword) {
    case 'type':
      return String(p.type)
        .split(',')
        .map((t) => TYPE_NOUN[t] ?? t)
        .join(' or ');
    case 'enum':
      return `one of ${(p.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`;
    case 'const':
      return JSON.stringify(p.allowedValue);
    case 'pattern':
      return `a string matching /${p.pattern}/`;
    case 'minimum':
    case 'exclusiveMinimum':
      return `a number ${p.comparison} ${p.limit}`;
    case 'maximum':
    case 'exclusiveMaximum':
      return `a number ${p.comparison} ${p.limit}`;
    case 'minItems':
      return p.limit === 1 ? 'a non-empty array' : `an array of at least ${p.limit} items`;
    case 'maxItems':
      return `an array of at most ${p.limit} items`;
    case 'minLength':
      return p.limit === 1 ? 'a non-empty string' : `a string of at least ${p.limit} characters`;
    case 'maxLength':
      return `a string of at most ${p.limit} characters`;
    default:
      return 'a valid value';
  }
}

/** A value as an error message shows what it found. */
export function describeFound(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length === 0 ? 'an empty array' : `an array of ${v.length} item${v.length === 1 ? '' : 's'}`;
  if (typeof v === 'object') return Object.keys(v as object).length === 0 ? 'an empty object' : 'an object';
  if (typeof v === 'string') {
    const s = v.length > 60 ? v.slice(0, 57) + '...' : v;
    return JSON.stringify(s);
  }
  return String(v);
}

/** Keywords that judge a value by itself: their records become "must be X, but found Y". */
const VALUE_KEYWORDS = new Set([
  'type',
  'enum',
  'const',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'uniqueItems',
]);

function translate(errors: AjvError[], doc: unknown, tree: Expect): Problem[] {
  const out: Problem[] = [];
  const valueDone = new Set<string>();
  const dropped = new Set<AjvError>();

  // Records that only explain another record: the sub-errors of anyOf/oneOf and of
  // propertyNames come just before it, and the `if` record repeats its branch's errors.
  for (let k = 0; k < errors.length; k++) {
    const e = errors[k];
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf' || e.keyword === 'propertyNames') {
      for (let j = k - 1; j >= 0; j--) {
        const s = errors[j];
        const under = s.schemaPath.startsWith(e.schemaPath + '/') || (e.keyword === 'propertyNames' && s.propertyName !== undefined);
        if (!under || !s.instancePath.startsWith(e.instancePath)) break;
        dropped.add(s);
      }
    }
  }

  for (let k = 0; k < errors.length; k++) {
    const e = errors[k];
    if (dropped.has(e) || e.keyword === 'if') continue;
    const ptr = e.instancePath;
    const here = valueAt(doc, ptr);
    switch (e.keyword) {
      case 'required': {
        // All the properties missing from one object, in one sentence.
        if (valueDone.has('required\0' + ptr)) break;
        valueDone.add('required\0' + ptr);
        const names = errors
          .filter((r) => r.keyword === 'required' && r.instancePath === ptr && !dropped.has(r))
          .map((r) => String(r.params.missingProperty))
          .filter((n, j, all) => all.indexOf(n) === j);
        const node = expectAt(tree, ptr, doc)?.p;
        const wants = names.map((n) => node?.[n]?.e);
        if (names.length === 1) {
          out.push({ pointer: ptr, message: `missing required property "${names[0]}"${wants[0] ? ` (${wants[0]})` : ''}` });
        } else {
          const same = wants.every((w) => w === wants[0]);
          const list = names.map((n, j) => `"${n}"${!same && wants[j] ? ` (${wants[j]})` : ''}`);
          const text = `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`;
          out.push({ pointer: ptr, message: `missing required properties ${text}${same && wants[0] ? ` (each ${wants[0]})` : ''}` });
        }
        break;
      }
      case 'dependencies':
      case 'dependentRequired':
        out.push({
          pointer: ptr,
          message: `has "${e.params.property}" but not "${e.params.missingProperty}", which must come with it`,
        });
        break;
      case 'anyOf':
      case 'oneOf': {
        const subs = errors.slice(0, k).filter((s) => dropped.has(s) && s.schemaPath.startsWith(e.schemaPath + '/'));
        if (subs.length > 0 && subs.every((s) => s.keyword === 'required' && s.instancePath === ptr)) {
          const names = subs.map((s) => `"${s.params.missingProperty}"`);
          out.push({ pointer: ptr, message: `must have at least one of ${names.join(' or ')}` });
        } else {
          const want = expectAt(tree, ptr, doc)?.e ?? 'a valid value';
          out.push({ pointer: ptr, message: `must be ${want}, but found ${describeFound(here)}` });
        }
        break;
      }
      case 'propertyNames': {
        const key = String(e.params.propertyName ?? '');
        out.push({ pointer: ptr, message: key === '' ? 'keys must not be empty, but found the key ""' : `has an invalid key ${JSON.stringify(key)}` });
        break;
      }
      case 'additionalProperties':
        out.push({ pointer: ptr, message: `has a property "${e.params.additionalProperty}" that is not allowed here` });
        break;
      default: {
        if (!VALUE_KEYWORDS.has(e.keyword)) {
          out.push({ pointer: ptr, message: `is not valid (${e.keyword})` });
          break;
        }
        // One sentence per value: a range failure and a type failure at one place say the same.
        if (valueDone.has(ptr)) break;
        valueDone.add(ptr);
        const want = expectAt(tree, ptr, doc)?.e ?? fallbackExpected(e);
        out.push({ pointer: ptr, message: `must be ${want}, but found ${describeFound(here)}` });
      }
    }
  }

  // ajv can report the same thing twice through two paths: keep each sentence once.
  const seen = new Set<string>();
  return out.filter((p) => {
    const key = `${p.pointer}\0${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
