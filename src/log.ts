/**
 * Logging as runc does it: `--log FILE` receives records (`--log-format json` gives
 * `{"level","msg","time"}` lines, which containerd reads for the last error), and errors and
 * warnings always reach stderr as plain lines too, where podman and humans read them.
 */
import * as fs from 'node:fs';
import { stderr } from './stdio';

type Level = 'debug' | 'info' | 'warning' | 'error';

const cfg: { file?: string; json: boolean; debug: boolean } = { json: false, debug: false };

export function configureLog(opts: { file?: string; format?: string; debug?: boolean }): void {
  cfg.file = opts.file || undefined;
  cfg.json = opts.format === 'json';
  cfg.debug = !!opts.debug;
}

function record(level: Level, msg: string): void {
  if (!cfg.file) return;
  const time = new Date().toISOString();
  const line = cfg.json
    ? JSON.stringify({ level, msg, time }) + '\n'
    : `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
  try {
    fs.appendFileSync(cfg.file, line);
  } catch {
    // A log that cannot be written must not turn a working command into a failing one.
  }
}

export function debug(msg: string): void {
  if (!cfg.debug) return;
  record('debug', msg);
  if (!cfg.file) stderr(`debug: ${msg}\n`);
}

export function info(msg: string): void {
  record('info', msg);
}

export function warn(msg: string): void {
  record('warning', msg);
  stderr(`warning: ${msg}\n`);
}

/** Each line of a multi-line error becomes its own record, so the last record names a real problem. */
export function error(msg: string): void {
  for (const line of msg.split('\n')) record('error', line);
  stderr(msg.endsWith('\n') ? msg : msg + '\n');
}
