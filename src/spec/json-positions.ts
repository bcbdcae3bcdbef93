/**
 * A strict JSON parser (RFC 8259) that also says where every value is.
 *
 * JSON.parse gives neither the place of a syntax error in a form people can use nor where a
 * value sits, and config errors must name both the JSON pointer and the line:column. So
 * config.json is read once with this parser: it returns the same value JSON.parse would,
 * plus the position of every value keyed by its JSON pointer.
 *
 * Positions are 1-based. A column counts UTF-16 code units from the start of the line (a tab
 * is one column), which is what editors that jump to "line:col" expect for ASCII files.
 *
 * Differences from JSON.parse, all deliberate:
 * - a syntax error is a JsonSyntaxError with line, column and a sentence about what was
 *   expected and what was found;
 * - a UTF-8 byte order mark at the start is skipped;
 * - duplicate keys are kept last-wins (as JSON.parse and Go's encoding/json do) and reported
 *   in `duplicates`, so that the loader can warn;
 * - an integer too large for a double to hold exactly keeps its text in `bigIntegers` (seccomp
 *   argument values are 64-bit and must not be rounded);
 * - nesting deeper than MAX_DEPTH is an error rather than a stack overflow.
 *
 * Why not a library: the two well-kept ones were measured against this parser on a 40 KiB
 * config (ocirt spec's default plus podman's seccomp profile), first parse in a fresh Node process as
 * create pays it, five runs on a loaded 2-core machine: this parser 4.8-11 ms, json-source-map
 * 9-20 ms, @humanwhocodes/momoa 17-64 ms (parse and evaluate only, before any pointer map is
 * built). json-source-map also rounds 18446744073709551615 to a double, and neither reports
 * duplicate keys, so both would need a second pass over the text for what this one gives.
 */
import { pointerJoin } from './pointer';

export interface Position {
  line: number;
  column: number;
}

export interface ParsedJson {
  value: unknown;
  /** Position of the first character of every value, by JSON pointer ('' is the root). */
  positions: Map<string, Position>;
  /** Keys that appeared twice in one object: the pointer, and where the later one is. */
  duplicates: Array<{ pointer: string } & Position>;
  /** Integers beyond Number.MAX_SAFE_INTEGER, by pointer, as written in the file. */
  bigIntegers: Map<string, string>;
}

export class JsonSyntaxError extends Error {
  readonly line: number;
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super(message);
    this.name = 'JsonSyntaxError';
    this.line = line;
    this.column = column;
  }
}

export const MAX_DEPTH = 256;

/**
 * The position of the value at `pointer` or, when there is none (a missing property), of the
 * nearest enclosing value that exists.
 */
export function positionOf(positions: Map<string, Position>, pointer: string): Position {
  let p = pointer;
  for (;;) {
    const pos = positions.get(p);
    if (pos) return pos;
    if (p === '') return { line: 1, column: 1 };
    p = p.slice(0, p.lastIndexOf('/'));
  }
}

const enum C {
  TAB = 9,
  LF = 10,
  CR = 13,
  SPACE = 32,
  QUOTE = 34,
  PLUS = 43,
  COMMA = 44,
  MINUS = 45,
  DOT = 46,
  SLASH = 47,
  ZERO = 48,
  NINE = 57,
  COLON = 58,
  UPPER_E = 69,
  LBRACKET = 91,
  BACKSLASH = 92,
  RBRACKET = 93,
  LOWER_E = 101,
  LBRACE = 123,
  RBRACE = 125,
}

/** The one-character escapes of a JSON string, by the character after the backslash (\u apart). */
const ESCAPES: Readonly<Record<number, string>> = { [C.QUOTE]: '"', [C.BACKSLASH]: '\\', [C.SLASH]: '/', 98: '\b', 102: '\f', 110: '\n', 114: '\r', 116: '\t' };

/** A character for a message: printable ones quoted, others as U+XXXX. */
function showChar(code: number): string {
  if (code >= 0x21 && code < 0x7f) return `"${String.fromCharCode(code)}"`;
  if (code === C.SPACE) return 'a space';
  if (code === C.LF || code === C.CR) return 'a line break';
  if (code === C.TAB) return 'a tab';
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

export function parseJsonWithPositions(text: string): ParsedJson {
  const positions = new Map<string, Position>();
  const duplicates: ParsedJson['duplicates'] = [];
  const bigIntegers = new Map<string, string>();
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let lineStart = i;

  const fail = (message: string, at: number = i): never => {
    // `at` is on the current line unless the caller points back into a string on the same line.
    throw new JsonSyntaxError(message, line, at - lineStart + 1);
  };

  const skipSpace = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === C.SPACE || c === C.TAB || c === C.CR) i++;
      else if (c === C.LF) {
        i++;
        line++;
        lineStart = i;
      } else break;
    }
  };

  const found = (): string => (i >= n ? 'the end of the file' : showChar(text.charCodeAt(i)));

  const parseString = (): string => {
    // i is at the opening quote.
    const open = i;
    i++;
    let start = i;
    let out = '';
    for (;;) {
      if (i >= n) fail('unterminated string (the file ends inside it)', open);
      const c = text.charCodeAt(i);
      if (c === C.QUOTE) {
        out += text.slice(start, i);
        i++;
        return out;
      }
      if (c === C.BACKSLASH) {
        out += text.slice(start, i);
        const e = text.charCodeAt(i + 1);
        const simple = ESCAPES[e];
        if (simple !== undefined) out += simple;
        else if (e === 117) {
          // \u
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail(`invalid escape "\\u${hex.replace(/[^\x21-\x7e].*$/s, '')}" in a string: \\u takes four hex digits`);
          out += String.fromCharCode(parseInt(hex, 16));
          i += 4;
        } else {
          if (i + 1 >= n) fail('unterminated string (the file ends inside it)', open);
          fail(`invalid escape "\\${String.fromCharCode(e)}" in a string`);
        }
        i += 2;
        start = i;
        continue;
      }
      if (c < 0x20) {
        if (c === C.LF) fail('unterminated string: a line break inside a string must be written \\n');
        fail(`control character ${showChar(c)} inside a string must be escaped`);
      }
      i++;
    }
  };

  const parseNumber = (pointer: string): number => {
    const start = i;
    if (text.charCodeAt(i) === C.MINUS) i++;
    let c = text.charCodeAt(i);
    if (c === C.ZERO) {
      i++;
      c = text.charCodeAt(i);
      if (c >= C.ZERO && c <= C.NINE) fail('invalid number: leading zeros are not allowed', start);
    } else if (c >= C.ZERO + 1 && c <= C.NINE) {
      while (i < n && (c = text.charCodeAt(i)) >= C.ZERO && c <= C.NINE) i++;
    } else {
      fail(`invalid number: expected a digit after "-" but found ${found()}`);
    }
    let integer = true;
    if (text.charCodeAt(i) === C.DOT) {
      integer = false;
      i++;
      const d = i;
      while (i < n && (c = text.charCodeAt(i)) >= C.ZERO && c <= C.NINE) i++;
      if (i === d) fail(`invalid number: expected a digit after "." but found ${found()}`);
    }
    c = text.charCodeAt(i);
    if (c === C.LOWER_E || c === C.UPPER_E) {
      integer = false;
      i++;
      c = text.charCodeAt(i);
      if (c === C.PLUS || c === C.MINUS) i++;
      const d = i;
      while (i < n && (c = text.charCodeAt(i)) >= C.ZERO && c <= C.NINE) i++;
      if (i === d) fail(`invalid number: expected a digit in the exponent but found ${found()}`);
    }
    const raw = text.slice(start, i);
    const v = Number(raw);
    if (integer && !Number.isSafeInteger(v)) bigIntegers.set(pointer, raw);
    return v;
  };

  const notAValue = (): never => {
    const m = /^[A-Za-z_$][\w$]*/.exec(text.slice(i, i + 40));
    return fail(`unexpected ${m ? `"${m[0]}"` : found()}: expected a JSON value (a string, number, object, array, true, false or null)`);
  };

  const literal = (word: string, value: unknown): unknown => {
    if (!text.startsWith(word, i) || /[\w$]/.test(text.charAt(i + word.length))) notAValue();
    i += word.length;
    return value;
  };

  const parseValue = (pointer: string, depth: number): unknown => {
    skipSpace();
    if (i >= n) fail('unexpected end of the file: expected a value');
    positions.set(pointer, { line, column: i - lineStart + 1 });
    const c = text.charCodeAt(i);
    switch (c) {
      case C.LBRACE:
        return parseObject(pointer, depth + 1);
      case C.LBRACKET:
        return parseArray(pointer, depth + 1);
      case C.QUOTE:
        return parseString();
      case 116: // t
        return literal('true', true);
      case 102: // f
        return literal('false', false);
      case 110: // n
        return literal('null', null);
      default:
        if (c === C.MINUS || (c >= C.ZERO && c <= C.NINE)) return parseNumber(pointer);
        if (c === 39) fail(`unexpected "'": JSON strings use double quotes`);
        if (c === C.RBRACE || c === C.RBRACKET || c === C.COMMA) fail(`unexpected ${found()}: expected a value`);
        return notAValue();
    }
  };

  const parseObject = (pointer: string, depth: number): Record<string, unknown> => {
    if (depth > MAX_DEPTH) fail(`nesting is deeper than ${MAX_DEPTH} levels`);
    i++; // {
    const obj: Record<string, unknown> = {};
    skipSpace();
    if (text.charCodeAt(i) === C.RBRACE) {
      i++;
      return obj;
    }
    for (;;) {
      skipSpace();
      const c = text.charCodeAt(i);
      if (c !== C.QUOTE) {
        if (i >= n) fail('unexpected end of the file inside an object: expected a property name');
        if (c === C.RBRACE) fail('trailing comma before "}": JSON does not allow one');
        if (c === 39) fail(`unexpected "'": property names must be in double quotes`);
        fail(`expected a property name in double quotes but found ${found()}`);
      }
      const key = parseString();
      skipSpace();
      if (text.charCodeAt(i) !== C.COLON) fail(`expected ":" after the property name "${key}" but found ${found()}`);
      i++;
      const child = pointerJoin(pointer, key);
      const had = Object.prototype.hasOwnProperty.call(obj, key);
      const value = parseValue(child, depth);
      if (had) {
        const pos = positions.get(child)!;
        duplicates.push({ pointer: child, line: pos.line, column: pos.column });
      }
      if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
      else obj[key] = value;
      skipSpace();
      const d = text.charCodeAt(i);
      if (d === C.COMMA) {
        i++;
        continue;
      }
      if (d === C.RBRACE) {
        i++;
        return obj;
      }
      if (i >= n) fail('unexpected end of the file inside an object: expected "," or "}"');
      fail(`expected "," or "}" after the value of "${key}" but found ${found()}`);
    }
  };

  const parseArray = (pointer: string, depth: number): unknown[] => {
    if (depth > MAX_DEPTH) fail(`nesting is deeper than ${MAX_DEPTH} levels`);
    i++; // [
    const arr: unknown[] = [];
    skipSpace();
    if (text.charCodeAt(i) === C.RBRACKET) {
      i++;
      return arr;
    }
    for (;;) {
      skipSpace();
      if (text.charCodeAt(i) === C.RBRACKET) fail('trailing comma before "]": JSON does not allow one');
      arr.push(parseValue(`${pointer}/${arr.length}`, depth));
      skipSpace();
      const d = text.charCodeAt(i);
      if (d === C.COMMA) {
        i++;
        continue;
      }
      if (d === C.RBRACKET) {
        i++;
        return arr;
      }
      if (i >= n) fail('unexpected end of the file inside an array: expected "," or "]"');
      fail(`expected "," or "]" after an array element but found ${found()}`);
    }
  };

  skipSpace();
  if (i >= n) fail('the file is empty: expected a JSON object');
  const value = parseValue('', 0);
  skipSpace();
  if (i < n) fail(`unexpected ${found()} after the end of the JSON value`);
  return { value, positions, duplicates, bigIntegers };
}
