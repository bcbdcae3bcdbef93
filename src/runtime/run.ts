/**
 * run: create, start, and (unless --detach) wait for the init, which stays our child, then
 * delete unless --keep. Signals sent to ocirt are forwarded to the init, as runc does, and the
 * exit code is the process's code or 128+signal.
 */
import { create, CreateOptions } from './create';
import { start } from './start';
import { deleteContainer } from './delete';
import { native } from '../native';
import { forwardSignals } from './signals';

export async function run(o: CreateOptions & { detach: boolean; keep: boolean; subreaper: boolean }): Promise<number> {
  let relay: { done: Promise<void> } | undefined;
  // The init may be re-parented to us if spawning goes through an intermediate process.
  if (o.subreaper) native().setChildSubreaper();
  let pid = 0;
  const unforward = o.detach ? () => {} : forwardSignals(() => pid);
  try {
    pid = create({
      ...o,
      onConsole: o.detach ? undefined : (fd) => {
        relay = require('./terminal-relay').relayTerminal(fd);
      },
    }).pid;
  } catch (e) {
    unforward();
    throw e;
  }
  try {
    start(o.root, o.id);
  } catch (e) {
    if (!o.detach) deleteContainer(o.root, o.id, true);
    throw e;
  }
  if (o.detach) return 0;
  const st = (await native().waitPidAsync(pid)) as { code?: number; signal?: number };
  unforward();
  if (relay) await relay.done;
  if (!o.keep) deleteContainer(o.root, o.id, true);
  return st.signal !== undefined ? 128 + st.signal : st.code ?? 1;
}
