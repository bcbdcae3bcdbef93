/**
 * yargs over the command table: help, version, and the error messages for invocations the
 * fast parser passed on. Loaded only then.
 */
import { COMMANDS, GLOBAL_FLAGS, FlagSpec, Invocation } from './table';
import { OcirtError } from '../errors';

function toOption(spec: FlagSpec): Record<string, unknown> {
  const o: Record<string, unknown> = { type: spec.type, describe: spec.describe };
  if (spec.alias) o.alias = spec.alias;
  if (spec.default !== undefined) o.default = spec.default;
  if (spec.choices) o.choices = spec.choices;
  if (spec.type === 'array') o.string = true;
  return o;
}

export function yargsParse(argv: string[], versionText: () => string): Invocation {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const yargs = require('yargs/yargs') as typeof import('yargs/yargs');
  let inv: Invocation | undefined;
  const y = yargs(argv)
    .scriptName('ocirt')
    .usage('ocirt [global flags] <command> [flags] [args]')
    .parserConfiguration({ 'camel-case-expansion': false, 'strip-aliased': true, 'halt-at-non-option': false })
    .strict()
    .version(false)
    .option('version', { alias: 'v', type: 'boolean', describe: 'print the version' })
    .help('help')
    .alias('help', 'h')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      throw err ?? new OcirtError(explainFailure(msg, argv));
    });
  for (const [name, spec] of Object.entries(GLOBAL_FLAGS)) y.option(name, { ...toOption(spec), global: true });
  for (const [name, spec] of Object.entries(COMMANDS)) {
    y.command(
      `${name}${spec.args ? ' ' + spec.args : ''}`,
      spec.describe + (spec.unsupported ? ` (not supported: ${spec.unsupported})` : ''),
      (cmd) => {
        for (const [flag, fspec] of Object.entries(spec.flags)) cmd.option(flag, toOption(fspec));
        return cmd;
      },
      (args) => {
        const flags: Record<string, unknown> = {};
        const globals: Record<string, unknown> = {};
        for (const k of Object.keys(spec.flags)) flags[k] = args[k];
        for (const k of Object.keys(GLOBAL_FLAGS)) globals[k] = args[k];
        const positionals = (args._ as unknown[]).slice(1).map(String);
        // yargs keeps named positionals under their names; flatten them back in order.
        const named = spec.args
          .split(' ')
          .filter(Boolean)
          .map((a) => a.replace(/[<>[\]]|\.\./g, ''));
        const ordered: string[] = [];
        for (const n of named) {
          const v = args[n];
          if (Array.isArray(v)) ordered.push(...v.map(String));
          else if (v !== undefined) ordered.push(String(v));
        }
        inv = { command: name, globals, flags, positionals: [...ordered, ...positionals] };
      },
    );
  }
  y.demandCommand(1, 'no command given; see ocirt --help');
  const parsed = y.parseSync() as Record<string, unknown>;
  if (!inv && parsed.version) {
    process.stdout.write(versionText());
    process.exit(0);
  }
  if (!inv) throw new OcirtError('no command given; see ocirt --help');
  return inv;
}

/** yargs' complaint in the words runc uses, which engines and people already know. */
function explainFailure(msg: string, argv: string[]): string {
  const command = argv.find((a) => COMMANDS[a] !== undefined);
  const unknown = /^Unknown arguments?: (.*)$/.exec(msg);
  if (unknown) {
    const names = unknown[1].split(', ');
    const flag = names.find((n) => argv.some((a) => a === `--${n}` || a.startsWith(`--${n}=`) || a === `-${n}`));
    if (flag) return `flag provided but not defined: -${flag}`;
  }
  if (command && (unknown || /non-option arguments/.test(msg))) {
    const spec = COMMANDS[command];
    const n = spec.args.split(' ').filter(Boolean);
    const req = n.filter((a) => a.startsWith('<')).length;
    const exact = n.length === req && !spec.args.includes('..');
    return `"${command}" requires ${exact ? 'exactly' : 'a minimum of'} ${req} argument(s)`;
  }
  if (/Unknown argument|Unknown command/.test(msg) && !command) {
    const first = argv.find((a) => !a.startsWith('-'));
    return `no such command "${first ?? ''}"; see ocirt --help`;
  }
  return msg;
}
