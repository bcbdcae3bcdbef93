import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseJsonWithPositions, JsonSyntaxError, positionOf, MAX_DEPTH } from '../../src/spec/json-positions';
import { pointerJoin, pointerTokens, valueAt } from '../../src/spec/pointer';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/spec');

function syntaxError(text: string): JsonSyntaxError {
  try {
    parseJsonWithPositions(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) return e;
    throw e;
  }
  throw new Error(`no syntax error for ${JSON.stringify(text)}`);
}

test('gives the same value as JSON.parse for every fixture', () => {
  const dir = path.join(FIXTURES, 'valid');
  const files = fs.readdirSync(dir);
  assert.ok(files.length >= 4);
  for (const f of files) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    assert.equal(parseJsonWithPositions(text).value, JSON.parse(text), f);
  }
  const tricky = '{"s":"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00","n":[0,-0,1.5e3,-2E-2,123456789],"e":{},"a":[],"t":true,"f":false,"z":null}';
  assert.equal(parseJsonWithPositions(tricky).value, JSON.parse(tricky));
});

test('records line:column of every value by JSON pointer', () => {
  const text = [
    '{', //                                  line 1
    '  "a": 1,', //                          line 2: value at col 8
    '  "b": [true,  {"c": null}],', //       line 3: [ at 8, true at 9, { at 16, null at 22
    '\t"d/e": {"~x": "s"},', //              line 4: tab is one column
    '  "": "empty key"', //                  line 5
    '}',
  ].join('\n');
  const { positions, value } = parseJsonWithPositions(text);
  assert.equal(positions.get(''), { line: 1, column: 1 });
  assert.equal(positions.get('/a'), { line: 2, column: 8 });
  assert.equal(positions.get('/b'), { line: 3, column: 8 });
  assert.equal(positions.get('/b/0'), { line: 3, column: 9 });
  assert.equal(positions.get('/b/1'), { line: 3, column: 16 });
  assert.equal(positions.get('/b/1/c'), { line: 3, column: 22 });
  assert.equal(positions.get('/d~1e'), { line: 4, column: 9 });
  assert.equal(positions.get('/d~1e/~0x'), { line: 4, column: 16 });
  assert.equal(positions.get('/'), { line: 5, column: 7 });
  assert.is(valueAt(value, '/d~1e/~0x'), 's');
  assert.is(valueAt(value, '/b/1/c'), null);
  assert.is(valueAt(value, '/b/7'), undefined);
});

test('CRLF line ends and a byte order mark do not shift positions', () => {
  const { positions, value } = parseJsonWithPositions('\ufeff{\r\n  "a": {\r\n    "b": 2\r\n  }\r\n}\r\n');
  assert.equal(value, { a: { b: 2 } });
  assert.equal(positions.get(''), { line: 1, column: 1 });
  assert.equal(positions.get('/a/b'), { line: 3, column: 10 });
});

test('pointer helpers escape and unescape ~ and /', () => {
  assert.is(pointerJoin('', 'a/b'), '/a~1b');
  assert.is(pointerJoin('/x', '~y'), '/x/~0y');
  assert.is(pointerJoin('/x', 3), '/x/3');
  assert.equal(pointerTokens('/a~1b/~0y/0'), ['a/b', '~y', '0']);
  assert.equal(pointerTokens(''), []);
  const positions = new Map([
    ['', { line: 1, column: 1 }],
    ['/p', { line: 2, column: 3 }],
  ]);
  // A missing property is placed at the nearest value that exists.
  assert.equal(positionOf(positions, '/p/missing/deeper'), { line: 2, column: 3 });
  assert.equal(positionOf(positions, '/q'), { line: 1, column: 1 });
});

test('malformed JSON: the line:column of the fault and what was expected', () => {
  const cases: Array<[string, number, number, RegExp]> = [
    ['', 1, 1, /file is empty/],
    ['{\n  "a": 1,\n}', 3, 1, /trailing comma before "}"/],
    ['[1,\n 2,]', 2, 4, /trailing comma before "]"/],
    ['{\n  "a" 1\n}', 2, 7, /expected ":" after the property name "a" but found "1"/],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, /expected "," or "}" after the value of "a" but found/],
    ["{'a': 1}", 1, 2, /double quotes/],
    ['{"a": tru}', 1, 7, /unexpected "tru"/],
    ['{"a": True}', 1, 7, /unexpected "True"/],
    ['{"a": "x\ny"}', 1, 9, /line break inside a string/],
    ['{"a": "x', 1, 7, /unterminated string/],
    ['{"a": "\\q"}', 1, 8, /invalid escape "\\q"/],
    ['{"a": "\\u12G4"}', 1, 8, /\\u takes four hex digits/],
    ['{"a": 01}', 1, 7, /leading zeros/],
    ['{"a": 1.}', 1, 9, /digit after "\."/],
    ['{"a": 1e}', 1, 9, /digit in the exponent/],
    ['{"a": -}', 1, 8, /digit after "-"/],
    ['{"a": NaN}', 1, 7, /unexpected "NaN"/],
    ['{"a": 1} {}', 1, 10, /after the end of the JSON value/],
    ['{"a": [1, 2', 1, 12, /end of the file inside an array/],
    ['{"a": \t\u0001}', 1, 8, /U\+0001/],
    ['{\n\n   ,}', 3, 4, /expected a property name in double quotes but found ","/],
  ];
  for (const [text, line, column, re] of cases) {
    const e = syntaxError(text);
    assert.match(e.message, re, JSON.stringify(text));
    assert.equal([e.line, e.column], [line, column], `${JSON.stringify(text)}: ${e.message}`);
  }
});

test('duplicate keys: last one wins, and each repeat is reported where it is', () => {
  const r = parseJsonWithPositions('{"a": 1,\n "a": 2, "b": {"c": 1, "c": 3}}');
  assert.equal(r.value, { a: 2, b: { c: 3 } });
  assert.equal(r.duplicates, [
    { pointer: '/a', line: 2, column: 7 },
    { pointer: '/b/c', line: 2, column: 29 },
  ]);
});

test('a "__proto__" key is data, not a prototype', () => {
  const r = parseJsonWithPositions('{"__proto__": {"polluted": true}, "x": 1}');
  const v = r.value as Record<string, unknown>;
  assert.is(Object.getPrototypeOf(v), Object.prototype);
  assert.is((v as any).polluted, undefined);
  assert.equal(Object.keys(v), ['__proto__', 'x']);
  assert.equal(v['__proto__'], { polluted: true });
  assert.is(({} as any).polluted, undefined);
});

test('integers beyond 2^53 keep their text; deep nesting is an error, not a crash', () => {
  const r = parseJsonWithPositions('{"v": 18446744073709551615, "w": 9007199254740991, "f": 1e300}');
  assert.equal([...r.bigIntegers], [['/v', '18446744073709551615']]);
  const deep = '['.repeat(MAX_DEPTH + 1) + ']'.repeat(MAX_DEPTH + 1);
  assert.match(syntaxError(deep).message, /deeper than/);
  const ok = '['.repeat(MAX_DEPTH) + ']'.repeat(MAX_DEPTH);
  assert.ok(Array.isArray(parseJsonWithPositions(ok).value));
});

test.run();
