/**
 * The D-Bus side of the systemd driver, in a worker thread: dbus-next is asynchronous and the
 * runtime's commands are not, so systemd-bus.ts posts one request at a time and sleeps on a
 * shared word until this worker has posted the answer and woken it.
 *
 * Only plain method calls are used (no introspection): each operation is one or two round trips.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';

const SD = 'org.freedesktop.systemd1';
const SD_PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
const PROPS = 'org.freedesktop.DBus.Properties';

/** A unit property as sent over the worker boundary: name, D-Bus signature, value. */
export type Prop = [string, string, unknown];

export type Request =
  | { op: 'version' }
  | { op: 'unit'; name: string }
  | { op: 'start'; name: string; props: Prop[] }
  | { op: 'stop'; name: string }
  | { op: 'set'; name: string; props: Prop[] }
  | { op: 'get'; name: string; iface: string; props: string[] };

export interface UnitInfo {
  loadState: string;
  activeState: string;
  fragmentPath: string;
  transient: boolean;
  controlGroup: string;
}

const { port, flag } = workerData as { port: MessagePort; flag: Int32Array };
// eslint-disable-next-line @typescript-eslint/no-var-requires
const dbus = require('dbus-next') as any;
let bus: any;
/** JobRemoved signals by job path: a job may end before StartUnit's reply reaches us. */
const jobsDone = new Map<string, string>();
const jobWaiters = new Map<string, (result: string) => void>();

async function connect(): Promise<any> {
  if (bus) return bus;
  const b = dbus.systemBus();
  await new Promise<void>((resolve, reject) => {
    b.on('connect', resolve);
    b.on('error', reject);
  });
  b.on('error', () => undefined);
  b.on('message', (m: any) => {
    if (m.type !== dbus.MessageType.SIGNAL || m.interface !== MANAGER || m.member !== 'JobRemoved') return;
    const [, job, , result] = m.body as [number, string, string, string];
    const w = jobWaiters.get(job);
    if (w) {
      jobWaiters.delete(job);
      w(result);
    } else jobsDone.set(job, result);
  });
  await call(b, 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'AddMatch', 's', [
    `type='signal',sender='${SD}',interface='${MANAGER}',member='JobRemoved'`,
  ]);
  await call(b, SD, SD_PATH, MANAGER, 'Subscribe', '', []);
  bus = b;
  return b;
}

async function call(b: any, destination: string, path: string, iface: string, member: string, signature: string, body: unknown[]): Promise<any[]> {
  const reply = await b.call(new dbus.Message({ destination, path, interface: iface, member, signature, body }));
  return reply.body;
}

function variants(props: Prop[]): [string, unknown][] {
  return props.map(([k, sig, v]) => [k, new dbus.Variant(sig, sig === 'ay' ? Buffer.from(v as Uint8Array) : v)]);
}

function waitJob(job: string): Promise<string> {
  const done = jobsDone.get(job);
  if (done !== undefined) {
    jobsDone.delete(job);
    return Promise.resolve(done);
  }
  return new Promise((resolve) => jobWaiters.set(job, resolve));
}

async function getProps(b: any, unitPath: string, iface: string, names: string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const n of names) {
    const [v] = await call(b, SD, unitPath, PROPS, 'Get', 'ss', [iface, n]);
    out[n] = v.value;
  }
  return out;
}

async function handle(r: Request): Promise<unknown> {
  const b = await connect();
  switch (r.op) {
    case 'version': {
      const [v] = await call(b, SD, SD_PATH, PROPS, 'Get', 'ss', [MANAGER, 'Version']);
      return v.value as string;
    }
    case 'unit': {
      const [p] = await call(b, SD, SD_PATH, MANAGER, 'LoadUnit', 's', [r.name]);
      const v = await getProps(b, p, 'org.freedesktop.systemd1.Unit', ['LoadState', 'ActiveState', 'FragmentPath', 'Transient']);
      let controlGroup = '';
      if (r.name.endsWith('.slice') || r.name.endsWith('.scope')) {
        const iface = r.name.endsWith('.slice') ? 'org.freedesktop.systemd1.Slice' : 'org.freedesktop.systemd1.Scope';
        controlGroup = String((await getProps(b, p, iface, ['ControlGroup'])).ControlGroup ?? '');
      }
      const info: UnitInfo = {
        loadState: String(v.LoadState),
        activeState: String(v.ActiveState),
        fragmentPath: String(v.FragmentPath),
        transient: !!v.Transient,
        controlGroup,
      };
      return info;
    }
    case 'start': {
      const [job] = await call(b, SD, SD_PATH, MANAGER, 'StartTransientUnit', 'ssa(sv)a(sa(sv))', [r.name, 'fail', variants(r.props), []]);
      return waitJob(job);
    }
    case 'stop': {
      let job: string;
      try {
        [job] = await call(b, SD, SD_PATH, MANAGER, 'StopUnit', 'ss', [r.name, 'fail']);
      } catch (e) {
        if ((e as any).type === 'org.freedesktop.systemd1.NoSuchUnit') return 'gone';
        throw e;
      }
      const result = await waitJob(job);
      // A scope that failed (or was killed) stays listed as failed until reset.
      try {
        await call(b, SD, SD_PATH, MANAGER, 'ResetFailedUnit', 's', [r.name]);
      } catch {
        /* not failed, or gone: both fine */
      }
      return result;
    }
    case 'set':
      await call(b, SD, SD_PATH, MANAGER, 'SetUnitProperties', 'sba(sv)', [r.name, true, variants(r.props)]);
      return true;
    case 'get': {
      const [p] = await call(b, SD, SD_PATH, MANAGER, 'GetUnit', 's', [r.name]);
      return getProps(b, p, r.iface, r.props);
    }
  }
}

port.on('message', (r: Request) => {
  handle(r).then(
    (value) => answer({ ok: true, value }),
    (e) => answer({ ok: false, error: { message: (e as Error).message ?? String(e), type: (e as any)?.type, code: (e as any)?.code } }),
  );
});

function answer(a: unknown): void {
  port.postMessage(a);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

parentPort?.on('message', () => undefined);
