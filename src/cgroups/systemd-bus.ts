/**
 * Synchronous calls to systemd over the system bus (DBUS_SYSTEM_BUS_ADDRESS, or the standard
 * socket), made by dbus-next in a worker thread (systemd-bus-worker.ts). Loaded only by the
 * systemd driver: a command that does not use it neither starts the worker nor loads dbus-next.
 *
 *   const bus = systemdBus();            // one per process, connected on first use
 *   bus.startScope('ocirt-x.scope', props);
 */
import * as path from 'node:path';
import { OcirtError } from '../errors';
import type { Prop, Request, UnitInfo } from './systemd-bus-worker';

export type { Prop, UnitInfo } from './systemd-bus-worker';

const P = '/linux/cgroupsPath';

export class BusError extends Error {
  constructor(
    message: string,
    /** The D-Bus error name (org.freedesktop.systemd1.NoSuchUnit, ...), when the call got that far. */
    readonly type?: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface SystemdBus {
  version(): string;
  unit(name: string): UnitInfo;
  /** StartTransientUnit, then waits for its job; the job's result ("done" when it worked). */
  start(name: string, props: Prop[]): string;
  /** StopUnit and wait, then ResetFailedUnit; "gone" when systemd had no such unit. */
  stop(name: string): string;
  setProperties(name: string, props: Prop[]): void;
  get(name: string, iface: string, props: string[]): Record<string, unknown>;
}

/** How long one call may take: a start waits for systemd's job, which is quick unless systemd is stuck. */
const CALL_TIMEOUT_MS = 30_000;

let shared: SystemdBus | undefined;

export function systemdBus(): SystemdBus {
  shared ??= open();
  return shared;
}

function open(): SystemdBus {
  const { Worker, MessageChannel, receiveMessageOnPort } = require('node:worker_threads') as typeof import('node:worker_threads');
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(path.join(__dirname, 'systemd-bus-worker.js'), { workerData: { port: port2, flag }, transferList: [port2] });
  // Neither keeps the command alive once its work is done.
  worker.unref();
  port1.unref();
  const address = process.env.DBUS_SYSTEM_BUS_ADDRESS ?? 'unix:path=/var/run/dbus/system_bus_socket';

  const request = (r: Request): any => {
    Atomics.store(flag, 0, 0);
    port1.postMessage(r);
    if (Atomics.wait(flag, 0, 0, CALL_TIMEOUT_MS) === 'timed-out') {
      throw new OcirtError(`${P}: systemd did not answer ${r.op} within ${CALL_TIMEOUT_MS / 1000} s on the system bus (${address})`, { pointer: P });
    }
    const msg = receiveMessageOnPort(port1)?.message as { ok: boolean; value?: unknown; error?: { message: string; type?: string; code?: string } } | undefined;
    if (!msg) throw new OcirtError(`${P}: the system bus worker gave no answer to ${r.op}`, { pointer: P });
    if (!msg.ok) {
      const e = msg.error!;
      if (!e.type && (e.code === 'ENOENT' || e.code === 'ECONNREFUSED' || e.code === 'EACCES')) {
        throw new OcirtError(`${P}: --systemd-cgroup: no systemd reachable on the system bus (${address}): ${e.message}; run without --systemd-cgroup to use cgroupfs`, { pointer: P, code: e.code });
      }
      throw new BusError(e.message, e.type, e.code);
    }
    return msg.value;
  };
  return {
    version: () => request({ op: 'version' }),
    unit: (name) => request({ op: 'unit', name }),
    start: (name, props) => request({ op: 'start', name, props }),
    stop: (name) => request({ op: 'stop', name }),
    setProperties: (name, props) => void request({ op: 'set', name, props }),
    get: (name, iface, props) => request({ op: 'get', name, iface, props }),
  };
}
