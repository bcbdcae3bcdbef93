/**
 * The README's first command: a container with no image to fetch. It compiles the static
 * probe, lays out a bundle in build/demo (rootfs holding only /probe, and `ocirt spec`'s
 * default config pointed at it), and runs it with `ocirt run`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { probePath } from './probe';
import { defaultSpec } from '../src/spec/default';

const REPO = path.resolve(__dirname, '..', '..');
const bundle = path.join(REPO, 'build', 'demo');
const rootfs = path.join(bundle, 'rootfs');

fs.rmSync(bundle, { recursive: true, force: true });
for (const d of ['proc', 'dev', 'sys', 'tmp']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
fs.copyFileSync(probePath(), path.join(rootfs, 'probe'));
fs.chmodSync(path.join(rootfs, 'probe'), 0o755);

const config = defaultSpec({}) as any;
config.process.terminal = false;
config.process.args = ['/probe', ...(process.argv.slice(2).length ? process.argv.slice(2) : ['hello'])];
config.hostname = 'ocirt-demo';
config.root.readonly = true;
const id = `demo-${process.pid}`;
// A cgroup of its own at the top, as runc's default is: the run removes it, so the demo leaves no
// /ocirt parent behind on a machine that had none.
config.linux.cgroupsPath = `/${id}`;
fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config, null, 2));

console.log(`$ ocirt run --bundle ${path.relative(process.cwd(), bundle) || '.'} ${id}`);
const r = spawnSync(path.join(REPO, 'bin', 'ocirt'), ['run', '--bundle', bundle, id], { stdio: 'inherit' });
process.exit(r.status ?? 1);
