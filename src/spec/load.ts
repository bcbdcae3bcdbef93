/**
 * Reads a bundle's config.json once and returns it only if it is valid: parsed with positions
 * (json-positions.ts), checked with the generated schema validators (validate.ts), then by the
 * rules a schema cannot say (semantic.ts). Every problem is reported, each as
 *   config.json:14:9 /process/args: must be a non-empty array of strings, but found an empty array
 * in one OcirtErrors. A bundle or file that cannot be read, malformed JSON and a document that
 * is not an object are single problems: one plain OcirtError.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OcirtError, OcirtErrors, describeSystemError } from '../errors';
import { JsonSyntaxError, parseJsonWithPositions, positionOf, ParsedJson } from './json-positions';
import { pointerTokens, valueAt } from './pointer';
import { schemaProblems, describeFound, Problem } from './validate';
import { semanticCheck } from './semantic';
import type { Spec } from './types';

export interface LoadedBundle {
  config: Spec;
  /** Absolute path of the bundle directory. */
  bundle: string;
  /** Absolute path of its config.json. */
  configPath: string;
  /** One line each, already placed: "config.json:L:C /pointer: ...". */
  warnings: string[];
}

export const CONFIG_FILE = 'config.json';

export function loadBundle(bundle: string): LoadedBundle {
  const given = bundle === undefined || bundle === null || bundle === '' ? '.' : String(bundle);
  const abs = path.resolve(given);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new OcirtError(`bundle "${given}" does not exist`, { code: 'ENOENT' });
    throw new OcirtError(`bundle "${given}": ${describeSystemError(e)}`);
  }
  if (!st.isDirectory()) throw new OcirtError(`bundle "${given}" is not a directory`, { code: 'ENOTDIR' });
  const configPath = path.join(abs, CONFIG_FILE);
  let text: string;
  try {
    text = fs.readFileSync(configPath, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // Reading a directory fails in read(2), and node leaves the path out of that error.
    const msg = err && err.code && !err.path ? `read ${configPath}: ${describeSystemError({ code: err.code })}` : describeSystemError(e);
    throw new OcirtError(msg, { code: err?.code });
  }
  const { config, warnings } = parseConfig(text, { bundle: abs });
  return { config, bundle: abs, configPath, warnings };
}

export interface ParseOptions {
  /** The name messages start with (default config.json). */
  file?: string;
  /**
   * The bundle directory, when there is one: a root.path that does not exist in it is a
   * warning here (create fails on it later, with the mount that needs it).
   */
  bundle?: string;
}

/**
 * Parses and checks the text of a config.json. Throws OcirtError (unreadable as JSON, not an
 * object) or OcirtErrors (every schema and semantic problem); returns the config, with the
 * changes semantic.ts makes, and the warnings.
 */
export function parseConfig(text: string, opts: ParseOptions = {}): { config: Spec; warnings: string[] } {
  const file = opts.file ?? CONFIG_FILE;
  let parsed: ParsedJson;
  try {
    parsed = parseJsonWithPositions(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new OcirtError(`${file}:${e.line}:${e.column}: ${e.message}`);
    throw e;
  }
  const doc = parsed.value;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new OcirtError(`${file}:1:1: must be a JSON object, but found ${describeFound(doc)}`);
  }
  const place = (p: Problem) => {
    const pos = positionOf(parsed.positions, p.pointer);
    return `${file}:${pos.line}:${pos.column}${p.pointer ? ' ' + p.pointer : ''}: ${p.message}`;
  };

  // Both passes run, so that every problem is reported at once; where both speak about one
  // place, the schema's sentence is kept.
  const config = doc as Spec;
  const schema = schemaProblems('config', doc);
  const sem = semanticCheck(config);
  const schemaAt = new Set(schema.map((p) => p.pointer));
  const problems = [...schema, ...sem.errors.filter((p) => !schemaAt.has(p.pointer)), ...bigIntegerProblems(parsed.bigIntegers, schemaAt)];
  if (problems.length > 0) throw new OcirtErrors(sortByPlace(problems, parsed).map((p) => new OcirtError(place(p), { pointer: p.pointer })));
  const rootPath = config.root?.path;
  if (opts.bundle !== undefined && typeof rootPath === 'string' && config.windows === undefined) {
    const rootfs = path.resolve(opts.bundle, rootPath);
    if (!fs.existsSync(rootfs)) sem.warnings.push({ pointer: '/root/path', message: `the root filesystem ${rootfs} does not exist` });
  }
  // A repeated key: the parser kept the last value, and its position is the last one's.
  for (const d of parsed.duplicates) {
    sem.warnings.push({ pointer: d.pointer, message: `duplicate key "${pointerTokens(d.pointer).pop()}": the last one is used` });
  }
  const warnings = sortByPlace(sem.warnings, parsed).map(place);

  restoreBigIntegers(config, parsed.bigIntegers);
  return { config, warnings };
}

/** In the order they appear in the file, so that a reader can walk down it. */
function sortByPlace(list: Problem[], parsed: ParsedJson): Problem[] {
  return list
    .map((p, k) => ({ p, k, pos: positionOf(parsed.positions, p.pointer) }))
    .sort((a, b) => a.pos.line - b.pos.line || a.pos.column - b.pos.column || a.k - b.k)
    .map((x) => x.p);
}

const SECCOMP_VALUE = /^\/linux\/seccomp\/syscalls\/\d+\/args\/\d+\/(value|valueTwo)$/;
const U64_MAX = 18446744073709551615n;

/**
 * A seccomp value past 2^64 - 1: the schema's maximum, a double, equals 2^64, so the schema lets
 * 2^64 and its neighbours through; the exact text says.
 */
function bigIntegerProblems(big: Map<string, string>, reported: Set<string>): Problem[] {
  const out: Problem[] = [];
  for (const [pointer, raw] of big) {
    if (!SECCOMP_VALUE.test(pointer) || reported.has(pointer)) continue;
    if (BigInt(raw) > U64_MAX) out.push({ pointer, message: `seccomp argument value ${raw} is out of range: must be at most 18446744073709551615` });
  }
  return out;
}

/**
 * Seccomp argument values are 64-bit: a double rounds those above 2^53. Such values were kept
 * as text by the parser and become a bigint here (the seccomp compiler takes both).
 */
export function restoreBigIntegers(config: Spec, big: Map<string, string>): void {
  for (const [pointer, raw] of big) {
    if (!SECCOMP_VALUE.test(pointer)) continue;
    const tokens = pointerTokens(pointer);
    const key = tokens.pop()!;
    const parent = valueAt(config, '/' + tokens.join('/')) as Record<string, unknown> | undefined;
    if (parent && typeof parent[key] === 'number') parent[key] = BigInt(raw);
  }
}
