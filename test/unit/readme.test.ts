/**
 * The README's command table is what users copy: every command it lists exists, every flag it
 * writes is one the command takes, and a line built from its usage, flags where the README puts
 * them, parses to that command with those flags (through the fast parser, or yargs as a user's
 * terminal would reach it).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMANDS, FlagSpec } from '../../src/cli/table';
import { fastParse, positionalShape } from '../../src/cli/fast-parse';
import { yargsParse } from '../../src/cli/yargs-parse';

const REPO = path.resolve(__dirname, '..', '..', '..');
const README = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');

/** The usage cells of the README's command table: `create [-b BUNDLE] ... ID`. */
function usages(): string[] {
  const start = README.indexOf('| command | what it does |');
  assert.ok(start >= 0, 'README has its command table');
  const rows = README.slice(start).split('\n').slice(2);
  const out: string[] = [];
  for (const row of rows) {
    if (!row.startsWith('| `')) break;
    out.push(...[...row.split(' | ')[0].matchAll(/`([^`]+)`/g)].map((m) => m[1].replace(/\\\|/g, '|')));
  }
  return out;
}

function flagOf(flags: Record<string, FlagSpec>, token: string): [string, FlagSpec] | undefined {
  if (token.startsWith('--')) return flags[token.slice(2)] ? [token.slice(2), flags[token.slice(2)]] : undefined;
  return Object.entries(flags).find(([, f]) => f.alias === token.slice(1));
}

function sample(spec: FlagSpec): string | undefined {
  if (spec.type === 'boolean') return undefined;
  if (spec.choices) return spec.choices[spec.choices.length - 1];
  return spec.type === 'number' ? '3' : 'v';
}

test('every command of the table is in the README, and every README usage parses with its flags', () => {
  const seen = new Set<string>();
  for (const usage of usages()) {
    const name = usage.split(/\s/)[0];
    const spec = COMMANDS[name];
    assert.ok(spec, `README lists "${name}", which ocirt does not have`);
    seen.add(name);
    const argv = [name];
    const want: Record<string, unknown> = {};
    for (const m of usage.matchAll(/(?<=[\s[])(--?[a-z][a-z-]*)/g)) {
      const found = flagOf(spec.flags, m[1]);
      assert.ok(found, `README: "${name} ${m[1]}" is not a flag of ${name}`);
      const [key, fspec] = found!;
      const v = sample(fspec);
      argv.push(m[1], ...(v === undefined ? [] : [v]));
      want[key] = fspec.type === 'boolean' ? true : fspec.type === 'number' ? 3 : fspec.type === 'array' ? [v] : v;
    }
    const shape = positionalShape(spec.args);
    if (name === 'seccomp') argv.push('explain', 'read');
    else for (let i = 0; i < shape.required; i++) argv.push(`p${i}`);
    const inv = fastParse(argv) ?? yargsParse(argv, () => '');
    assert.is(inv.command, name, argv.join(' '));
    for (const [k, v] of Object.entries(want)) assert.equal(inv.flags[k], v, `${argv.join(' ')}: --${k}`);
  }
  for (const name of Object.keys(COMMANDS)) assert.ok(seen.has(name), `README's command table lacks "${name}"`);
});

test.run();
