/**
 * The parser for ordinary invocations, as engines make them: global flags, a command, its
 * flags and positionals. It answers undefined for anything else (help, version, a typo, a
 * missing argument), and yargs takes over with its messages. This saves the ~18 ms yargs costs
 * to load on every `state`, `start`, `kill` and `delete`.
 */
import { COMMANDS, GLOBAL_FLAGS, FlagSpec, Invocation } from './table';

interface Slot {
  required: number;
  optional: number;
  variadic: boolean;
}

export function positionalShape(args: string): Slot {
  const shape: Slot = { required: 0, optional: 0, variadic: false };
  for (const a of args.split(' ').filter(Boolean)) {
    if (a.endsWith('..>') || a.endsWith('..]')) shape.variadic = true;
    else if (a.startsWith('<')) shape.required++;
    else shape.optional++;
  }
  return shape;
}

function findFlag(table: Record<string, FlagSpec>, token: string): [string, FlagSpec] | undefined {
  if (token.startsWith('--')) {
    const name = token.slice(2);
    return table[name] ? [name, table[name]] : undefined;
  }
  const short = token.slice(1);
  if (short.length !== 1) return undefined;
  for (const [name, spec] of Object.entries(table)) if (spec.alias === short) return [name, spec];
  return undefined;
}

function coerce(spec: FlagSpec, raw: string): unknown {
  switch (spec.type) {
    case 'boolean':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      return undefined;
    case 'number': {
      const n = Number(raw);
      return raw.trim() !== '' && Number.isFinite(n) ? n : undefined;
    }
    default:
      return spec.choices && !spec.choices.includes(raw) ? undefined : raw;
  }
}

function defaults(table: Record<string, FlagSpec>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(table)) if (spec.default !== undefined) out[name] = spec.default;
  return out;
}

/**
 * Reads flags of `table` from argv starting at `i`, collecting positionals between them, and
 * stops once `stopAfter` positionals are read, or before the first one when it is 0 (Infinity:
 * never stops).
 * Returns the index after the last token read, or -1 when a token is not understood.
 */
function readFlags(argv: string[], i: number, table: Record<string, FlagSpec>, into: Record<string, unknown>, stopAfter: number, positionals: string[]): number {
  while (i < argv.length) {
    const tok = argv[i];
    if (tok === '--') {
      positionals.push(...argv.slice(i + 1));
      return argv.length;
    }
    if (!tok.startsWith('-') || tok === '-') {
      if (positionals.length >= stopAfter) return i;
      positionals.push(tok);
      i++;
      if (positionals.length >= stopAfter) return i; // what follows is payload, flag-like or not
      continue;
    }
    const eq = tok.indexOf('=');
    const name = eq > 0 ? tok.slice(0, eq) : tok;
    const found = findFlag(table, name);
    if (!found) return -1;
    const [key, spec] = found;
    let raw: string;
    if (eq > 0) raw = tok.slice(eq + 1);
    else if (spec.type === 'boolean') raw = 'true';
    else {
      if (i + 1 >= argv.length) return -1;
      raw = argv[++i];
    }
    const v = coerce(spec, raw);
    if (v === undefined) return -1;
    if (spec.type === 'array') into[key] = [...((into[key] as unknown[]) ?? []), v];
    else into[key] = v;
    i++;
  }
  return i;
}

export function fastParse(argv: string[]): Invocation | undefined {
  const globals = defaults(GLOBAL_FLAGS);
  const before: string[] = [];
  let i = readFlags(argv, 0, GLOBAL_FLAGS, globals, 0, before);
  if (i < 0 || i >= argv.length) return undefined;
  const command = argv[i];
  const spec = COMMANDS[command];
  if (!spec) return undefined;
  const flags = defaults(spec.flags);
  const positionals: string[] = [];
  const shape = positionalShape(spec.args);
  i++;
  // Flags may stand among the named positionals; for variadic commands (exec, ps, seccomp) all
  // that follows the named ones is the payload, flags or not (`exec ID sh -c x`).
  i = readFlags(argv, i, spec.flags, flags, shape.variadic ? shape.required + shape.optional : Infinity, positionals);
  if (i < 0) return undefined;
  positionals.push(...argv.slice(i));
  if (positionals.length < shape.required) return undefined;
  if (!shape.variadic && positionals.length > shape.required + shape.optional) return undefined;
  return { command, globals, flags, positionals };
}
