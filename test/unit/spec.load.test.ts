import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OcirtError, OcirtErrors } from '../../src/errors';
import { loadBundle } from '../../src/spec/load';
import { defaultSpec } from '../../src/spec/default';
import { CAPABILITIES, capabilityNumber } from '../../src/spec/capabilities';
import { schemaProblems } from '../../src/spec/validate';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/spec');

function withDir(f: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ocirt-spec-'));
  try {
    f(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
}

test('loadBundle: absolute paths, the config, and warnings', () => {
  withDir((dir) => {
    fs.mkdirSync(path.join(dir, 'rootfs'));
    fs.copyFileSync(path.join(FIXTURES, 'valid', 'runc-1.1.5-spec.json'), path.join(dir, 'config.json'));
    const rel = path.relative(process.cwd(), dir);
    const b = loadBundle(rel);
    assert.is(b.bundle, dir);
    assert.is(b.configPath, path.join(dir, 'config.json'));
    assert.is(b.config.process!.args![0], 'sh');
    assert.equal(b.warnings, []);
    fs.rmdirSync(path.join(dir, 'rootfs'));
    assert.equal(loadBundle(dir).warnings.map((w) => w.replace(/:\d+:\d+ /, ':L:C ')), [`config.json:L:C /root/path: the root filesystem ${dir}/rootfs does not exist`]);
  });
});

test('loadBundle: a bundle or config.json that cannot be read is one clear line', () => {
  withDir((dir) => {
    const missing = path.join(dir, 'nope');
    let e = thrown(() => loadBundle(missing));
    assert.instance(e, OcirtError);
    assert.not.instance(e, OcirtErrors);
    assert.is(e.message, `bundle "${missing}" does not exist`);

    fs.writeFileSync(path.join(dir, 'file'), '');
    e = thrown(() => loadBundle(path.join(dir, 'file')));
    assert.is(e.message, `bundle "${path.join(dir, 'file')}" is not a directory`);

    e = thrown(() => loadBundle(dir));
    assert.is(e.message, `open ${path.join(dir, 'config.json')}: no such file or directory`);

    fs.mkdirSync(path.join(dir, 'config.json'));
    e = thrown(() => loadBundle(dir));
    assert.is(e.message, `read ${path.join(dir, 'config.json')}: is a directory`);
    fs.rmdirSync(path.join(dir, 'config.json'));

    fs.writeFileSync(path.join(dir, 'config.json'), '{"ociVersion": "1.3.0",\n  "root": ');
    e = thrown(() => loadBundle(dir));
    assert.is(e.message, 'config.json:2:11: unexpected end of the file: expected a value');
    assert.not.match(e.message, /\n|at /);

    if (process.getuid && process.getuid() !== 0) {
      fs.writeFileSync(path.join(dir, 'config.json'), '{}', { mode: 0 });
      e = thrown(() => loadBundle(dir));
      assert.is(e.message, `open ${path.join(dir, 'config.json')}: permission denied`);
    }
  });
});

test('loadBundle: every problem of an invalid config, each placed', () => {
  withDir((dir) => {
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ociVersion: '3', process: { cwd: 'x', args: [] } }, null, 2));
    const e = thrown(() => loadBundle(dir)) as OcirtErrors;
    assert.instance(e, OcirtErrors);
    assert.equal(
      e.errors.map((x) => x.message),
      [
        'config.json:1:1: missing required property "root" (the root filesystem; only Windows configs may leave it out)',
        'config.json:2:17 /ociVersion: must be a SemVer version such as "1.3.0", but found "3"',
        'config.json:4:12 /process/cwd: must be an absolute path (a string that starts with "/"), but found "x"',
        'config.json:5:13 /process/args: must be a non-empty array of strings, but found an empty array',
      ],
    );
    assert.equal(e.errors.map((x) => x.pointer), ['', '/ociVersion', '/process/cwd', '/process/args']);
    assert.is(e.message, e.errors.map((x) => x.message).join('\n'));
  });
});

test('defaultSpec: valid, and shaped as runc spec writes it', () => {
  for (const rootless of [false, true]) {
    for (const cgroupNamespace of [false, true]) {
      const s = defaultSpec({ rootless, cgroupNamespace });
      assert.equal(schemaProblems('config', s), [], `rootless=${rootless}`);
      assert.is(s.ociVersion, '1.3.0');
      assert.is(s.linux!.namespaces!.some((n) => n.type === 'cgroup'), cgroupNamespace);
    }
  }
  // Against runc 1.1.5's own output: the same but for what ocirt says differently on purpose.
  const runc = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'valid', 'runc-1.1.5-spec.json'), 'utf8'));
  const runcRootless = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'valid', 'runc-1.1.5-spec-rootless.json'), 'utf8'));
  const normalize = (s: any) => {
    const c = JSON.parse(JSON.stringify(s));
    c.ociVersion = 'X';
    c.hostname = 'X';
    delete c.process.capabilities.ambient; // runc 1.1 filled it; runc 1.2 and later leave it out
    c.linux.maskedPaths = c.linux.maskedPaths.filter((p: string) => p !== '/sys/devices/virtual/powercap');
    for (const m of [...(c.linux.uidMappings ?? []), ...(c.linux.gidMappings ?? [])]) m.hostID = 'X';
    return c;
  };
  assert.equal(normalize(defaultSpec({ rootless: false, cgroupNamespace: false })), normalize(runc));
  assert.equal(normalize(defaultSpec({ rootless: true, cgroupNamespace: false })), normalize(runcRootless));
  const rl = defaultSpec({ rootless: true, cgroupNamespace: false });
  assert.is(rl.linux!.uidMappings![0].hostID, process.geteuid!());
  assert.is(rl.linux!.gidMappings![0].hostID, process.getegid!());
  assert.is(rl.linux!.resources, undefined);
  // Each call is a fresh object: callers (the demo, tests) change them.
  const a = defaultSpec({ rootless: false });
  a.process!.args!.push('x');
  assert.equal(defaultSpec({ rootless: false }).process!.args, ['sh']);
});

test('capabilities: numbered as the kernel numbers them', () => {
  assert.is(CAPABILITIES.length, 41);
  assert.is(CAPABILITIES[0], 'CAP_CHOWN');
  assert.is(capabilityNumber('CAP_NET_BIND_SERVICE'), 10);
  assert.is(capabilityNumber('CAP_SYS_ADMIN'), 21);
  assert.is(capabilityNumber('CAP_AUDIT_READ'), 37);
  assert.is(capabilityNumber('CAP_CHECKPOINT_RESTORE'), 40);
  assert.is(capabilityNumber('CAP_FOO'), undefined);
  assert.is(capabilityNumber('cap_chown'), undefined);
  assert.is(new Set(CAPABILITIES).size, 41);
  assert.ok(Object.isFrozen(CAPABILITIES));
});

test.run();
