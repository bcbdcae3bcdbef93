/**
 * The ocirt entry point: parse, configure logging, hand the invocation to one command module,
 * and turn every failure into one line on stderr (and a record in --log) with exit code 1.
 * Command modules are required lazily, so each command loads only what it uses.
 */
import { fastParse } from './fast-parse';
import { COMMANDS, GLOBAL_FLAGS, Invocation } from './table';
import { configureLog, error, debug } from '../log';
import { isOcirtError, describeSystemError } from '../errors';

import { SPEC_VERSION } from './main-constants';
import { stdout } from '../stdio';

function versionText(): string {
  let version = 'unknown';
  let commit = 'unknown';
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const info = require('../../build-info.json') as { version: string; commit: string };
    version = info.version;
    commit = info.commit;
  } catch {
    /* built without build-info.json: say so rather than guess */
  }
  return `ocirt version ${version}\ncommit: ${commit}\nspec: ${SPEC_VERSION}\n`;
}

export interface CommandModule {
  run(inv: Invocation): number | Promise<number>;
}

/** `--version` among the global flags (before the command), skipping the values they take. */
function wantsVersion(argv: string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--version' || a === '-v') return true;
    if (!a.startsWith('-')) return false;
    const name = a.replace(/^--?/, '');
    if (!name.includes('=') && GLOBAL_FLAGS[name] && GLOBAL_FLAGS[name].type !== 'boolean') i++;
  }
  return false;
}

async function main(argv: string[]): Promise<number> {
  if (wantsVersion(argv)) {
    stdout(versionText());
    return 0;
  }
  let inv: Invocation | undefined = fastParse(argv);
  if (!inv) inv = require('./yargs-parse').yargsParse(argv, versionText) as Invocation;
  configureLog({ file: inv.globals.log as string | undefined, format: inv.globals['log-format'] as string, debug: inv.globals.debug as boolean });
  debug(`${inv.command} ${JSON.stringify({ flags: inv.flags, args: inv.positionals })}`);
  const spec = COMMANDS[inv.command];
  if (spec.unsupported) {
    error(`"${inv.command}" is not supported: ${spec.unsupported}`);
    return 1;
  }
  const mod = require(`./commands/${inv.command}`) as CommandModule;
  return mod.run(inv);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (isOcirtError(e)) error(e.message);
    else if (e instanceof Error) {
      // A failure no module turned into an OcirtError: Node's errno errors as one line naming the
      // call and its path (describeSystemError), never Node's own text or a stack.
      error((e as NodeJS.ErrnoException).code ? describeSystemError(e) : e.message);
      debug(e.stack ?? '');
    } else error(String(e));
    process.exitCode = 1;
  },
);
