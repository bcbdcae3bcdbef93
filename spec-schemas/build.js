#!/usr/bin/env node
'use strict';
/*
 * Turns the project's JSON Schemas (spec-schemas/*.json) into one plain CommonJS module,
 * dist/spec-schemas/validators.js, so that no schema is compiled at run time:
 *
 *   validateConfig, validateState, validateFeatures  ajv standalone validators (allErrors)
 *   expectations                                      per document kind, a tree that follows
 *       the shape of the documents (property names, array items, map values) and gives, for
 *       each place, the phrase an error message uses for what the value should have been.
 *       ajv's own messages ("must be >= 0") say too little; src/spec/validate.ts turns them
 *       into "must be an integer from 0 to 4294967295, but found -1" with this tree.
 *
 * Run by `npm run build:validators` (after tsc). Plain Node, no TypeScript.
 */
const fs = require('node:fs');
const path = require('node:path');
const Ajv = require('ajv').default;
const standaloneCode = require('ajv/dist/standalone').default;

const HERE = __dirname;
const ROOT = path.resolve(HERE, '..');
const OUT_DIR = path.join(ROOT, 'dist', 'spec-schemas');
const OUT = path.join(OUT_DIR, 'validators.js');
const CACHE = path.join(OUT_DIR, 'validators.cache');
const BASE = 'https://ocirt.invalid/spec/1.3.0/';

const ROOTS = {
  validateConfig: { kind: 'config', id: BASE + 'config.schema.json' },
  validateState: { kind: 'state', id: BASE + 'state.schema.json' },
  validateFeatures: { kind: 'features', id: BASE + 'features.schema.json' },
};

function loadSchemas() {
  const byId = new Map();
  for (const f of fs.readdirSync(HERE).filter((n) => n.endsWith('.json')).sort()) {
    const schema = JSON.parse(fs.readFileSync(path.join(HERE, f), 'utf8'));
    if (schema.$id !== BASE + f) throw new Error(`${f}: $id must be ${BASE + f}, found ${schema.$id}`);
    byId.set(schema.$id, schema);
  }
  return byId;
}

// ---- the expectations tree ---------------------------------------------------------------

/** Resolves a $ref against the id of the schema file it appears in. */
function resolveRef(byId, baseId, ref) {
  const url = new URL(ref, baseId);
  const fileId = url.href.replace(/#.*$/, '');
  const doc = byId.get(fileId);
  if (!doc) throw new Error(`unresolved $ref ${ref} in ${baseId}`);
  let node = doc;
  const frag = decodeURIComponent(url.hash.replace(/^#/, ''));
  for (const tok of frag.split('/').slice(1)) {
    node = node[tok.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (node === undefined) throw new Error(`unresolved $ref ${ref} in ${baseId}`);
  }
  return { schema: node, baseId: fileId };
}

/** Follows $ref chains; returns the schema that carries the keywords, with its file's id. */
function deref(byId, schema, baseId) {
  let guard = 0;
  while (schema && schema.$ref) {
    // Keywords next to a $ref (description, expected) stay with the referring schema.
    const own = schema.expected;
    const r = resolveRef(byId, baseId, schema.$ref);
    schema = own ? { ...r.schema, expected: own } : r.schema;
    baseId = r.baseId;
    if (++guard > 50) throw new Error('$ref loop');
  }
  return { schema, baseId };
}

const TYPE_NOUN = { string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false', object: 'an object', array: 'an array', null: 'null' };
const TYPE_PLURAL = { string: 'strings', integer: 'integers', number: 'numbers', boolean: 'booleans', object: 'objects', array: 'arrays', null: 'nulls' };

function integerPhrase(s) {
  const lo = s.minimum;
  const hi = s.maximum;
  if (lo === 0 && hi >= 1.8e19) return 'an unsigned 64-bit integer';
  if (lo <= -9.2e18 && hi >= 9.2e18) return 'a signed 64-bit integer';
  if (lo !== undefined && hi !== undefined) return `an integer from ${lo} to ${hi}`;
  if (lo !== undefined) return `an integer of at least ${lo}`;
  if (hi !== undefined) return `an integer of at most ${hi}`;
  return 'an integer';
}

function enumPhrase(values) {
  const shown = values.map((v) => JSON.stringify(v));
  return shown.length === 1 ? shown[0] : `one of ${shown.join(', ')}`;
}

/** The phrase for what a value should be, from the schema alone. */
function describe(byId, schema, baseId) {
  ({ schema, baseId } = deref(byId, schema, baseId));
  if (!schema || typeof schema !== 'object') return 'a valid value';
  if (schema.expected) return schema.expected;
  if (schema.enum) return enumPhrase(schema.enum);
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length > 1) return types.map((t) => describe(byId, { ...schema, type: t }, baseId)).join(' or ');
  switch (types[0]) {
    case 'integer':
      return integerPhrase(schema);
    case 'string':
      if (schema.pattern) return `a string matching /${schema.pattern}/`;
      return schema.minLength ? 'a non-empty string' : 'a string';
    case 'array': {
      const nonEmpty = schema.minItems >= 1 ? 'a non-empty array' : 'an array';
      if (!schema.items) return nonEmpty;
      const item = deref(byId, schema.items, baseId).schema;
      if (item.enum) return `${nonEmpty} of strings, each ${enumPhrase(item.enum)}`;
      const it = Array.isArray(item.type) ? undefined : item.type;
      if (it === 'string' && item.pattern && item.expected) return `${nonEmpty} of strings, each ${item.expected}`;
      if (it === 'integer' && (item.minimum !== undefined || item.maximum !== undefined)) {
        return `${nonEmpty} of integers, each ${integerPhrase(item).replace(/^an? /, '')}`.replace('each integer from', 'each from');
      }
      return it ? `${nonEmpty} of ${TYPE_PLURAL[it]}` : nonEmpty;
    }
    case 'object': {
      const add = schema.additionalProperties;
      if (add && typeof add === 'object' && !schema.properties) {
        const v = deref(byId, add, baseId).schema;
        return v.type === 'string' ? 'an object whose values are strings' : 'an object';
      }
      return 'an object';
    }
    default:
      return types[0] ? TYPE_NOUN[types[0]] : 'a valid value';
  }
}

/**
 * The tree for one document kind: { e: phrase, p: {name: node}, i: items node, a: map-value
 * node }. Branches of if/then/else, allOf, anyOf and oneOf are merged into the same place.
 */
function tree(byId, schema, baseId, depth = 0) {
  if (depth > 40) throw new Error('schema too deep (recursive $ref?)');
  const d = deref(byId, schema, baseId);
  const s = d.schema;
  const node = { e: describe(byId, schema, baseId) };
  const merge = (sub) => {
    const t = tree(byId, sub, d.baseId, depth + 1);
    for (const [k, v] of Object.entries(t.p || {})) (node.p ||= {})[k] ||= v;
    if (t.i && !node.i) node.i = t.i;
    if (t.a && !node.a) node.a = t.a;
  };
  if (s.properties) {
    node.p = {};
    for (const [k, v] of Object.entries(s.properties)) node.p[k] = tree(byId, v, d.baseId, depth + 1);
  }
  if (s.items && typeof s.items === 'object' && !Array.isArray(s.items)) node.i = tree(byId, s.items, d.baseId, depth + 1);
  if (s.additionalProperties && typeof s.additionalProperties === 'object') node.a = tree(byId, s.additionalProperties, d.baseId, depth + 1);
  for (const k of ['allOf', 'anyOf', 'oneOf']) for (const sub of s[k] || []) merge(sub);
  for (const k of ['then', 'else']) if (s[k]) merge(s[k]);
  return node;
}

// ---- the module ----------------------------------------------------------------------------

/**
 * ajv's standalone code may require small helpers from ajv/dist/runtime. Those with no
 * requires of their own are inlined, so loading the validators touches no other file.
 */
function inlineRuntimeHelpers(code) {
  const helpers = new Map();
  const out = code.replace(/require\("(ajv\/dist\/runtime\/[a-zA-Z0-9_]+)"\)/g, (all, mod) => {
    const file = require.resolve(mod);
    // The helper's own `.code` line (how ajv spells it in code) is of no use once inlined.
    const src = fs
      .readFileSync(file, 'utf8')
      .replace(/\/\/# sourceMappingURL=.*$/m, '')
      .replace(/^.*\.code = .*$/gm, '');
    if (/\brequire\(/.test(src)) return all; // has dependencies: leave the require in place
    const name = '__ajvRuntime_' + path.basename(file, '.js');
    helpers.set(name, src);
    return name;
  });
  let prelude = '';
  for (const [name, src] of helpers) {
    prelude += `const ${name} = (function () { const exports = {}; const module = { exports };\n${src}\nreturn module.exports; })();\n`;
  }
  return out.replace(/^"use strict";/, `"use strict";\n${prelude}`);
}

/**
 * ajv writes every error report as seven statements; with allErrors there are hundreds of
 * them. The same thing through one helper makes the module a good deal smaller, and the
 * module's size is most of what loading it costs. The rewrite is checked: it must replace
 * every report and leave no other "vErrors.push".
 */
function compactErrorPushes(code) {
  const re = /const (err\d+) = (\{[^]*?\});if\(vErrors === null\)\{vErrors = \[\1\];\}else \{vErrors\.push\(\1\);\}errors\+\+;/g;
  let n = 0;
  const out = code.replace(re, (all, name, obj) => {
    n++;
    return `vErrors = __report(vErrors, ${obj});errors++;`;
  });
  if (/vErrors\.push\(/.test(out)) throw new Error('compactErrorPushes: an error report has a shape it does not know');
  if (/\berr\d+\b/.test(out)) throw new Error('compactErrorPushes: generated code uses an error record by name after reporting it');
  if (n === 0) throw new Error('compactErrorPushes: found no error reports (did ajv change its output?)');
  return out.replace(/^"use strict";/, '"use strict";\nfunction __report(list, err) { if (list === null) return [err]; list.push(err); return list; }');
}

/**
 * A copy of a schema without the keywords that only document (ajv embeds the schema objects
 * it needs, such as enum lists, into the generated code: prose there is dead weight).
 */
function stripAnnotations(schema) {
  if (Array.isArray(schema)) return schema.map(stripAnnotations);
  if (!schema || typeof schema !== 'object') return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'description' || k === 'title' || k === '$comment' || k === 'expected') continue;
    // Inside "properties" (and similar maps) the keys are names, not keywords: keep them all.
    out[k] = k === 'properties' || k === 'definitions' || k === 'dependencies' ? mapValues(v) : stripAnnotations(v);
  }
  return out;
}

function mapValues(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj)) out[k] = Array.isArray(v) ? v.slice() : stripAnnotations(v);
  return out;
}

function writeAtomic(file, data) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/**
 * Must be the same string as wrapModule() in src/spec/validate.ts: V8 accepts a code cache
 * only for the exact source it was made from. A unit test checks that the cache is accepted.
 */
function wrapModule(source) {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}

/**
 * A V8 code cache of the module, made after running each validator on a sample so that it
 * holds the compiled validator functions and not just the top level. Node rejects it (and
 * src/spec/validate.ts compiles from source) when run by another V8.
 */
function makeCodeCache(source) {
  const vm = require('node:vm');
  const script = new vm.Script(wrapModule(source), { filename: OUT });
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, require, mod, OUT, OUT_DIR);
  for (const sample of WARM_UP.config) mod.exports.validateConfig(sample);
  for (const sample of WARM_UP.state) mod.exports.validateState(sample);
  for (const sample of WARM_UP.features) mod.exports.validateFeatures(sample);
  return script.createCachedData();
}

/** Documents that reach most validator functions (valid and not). */
const WARM_UP = {
  config: [
    {
      ociVersion: '1.3.0',
      root: { path: 'rootfs', readonly: true },
      process: {
        terminal: true,
        consoleSize: { height: 24, width: 80 },
        user: { uid: 0, gid: 0, umask: 18, additionalGids: [1] },
        args: ['sh'],
        env: ['PATH=/bin'],
        cwd: '/',
        capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'], inheritable: [], ambient: [] },
        rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
        noNewPrivileges: true,
        oomScoreAdj: 0,
        scheduler: { policy: 'SCHED_OTHER', nice: 0 },
        ioPriority: { class: 'IOPRIO_CLASS_BE', priority: 4 },
        execCPUAffinity: { initial: '0', final: '0-1' },
        apparmorProfile: 'p',
        selinuxLabel: 'l',
      },
      hostname: 'h',
      domainname: 'd',
      mounts: [{ destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid'] }],
      hooks: { prestart: [{ path: '/x', args: ['x'], env: [], timeout: 1 }], poststop: [{ path: '/y' }] },
      annotations: { a: 'b' },
      linux: {
        namespaces: [{ type: 'pid' }, { type: 'mount', path: '/proc/1/ns/mnt' }],
        uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
        gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
        timeOffsets: { monotonic: { secs: 1, nanosecs: 0 } },
        devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 438, uid: 0, gid: 0 }],
        netDevices: { eth0: { name: 'eth1' } },
        cgroupsPath: '/x',
        resources: {
          devices: [{ allow: false, access: 'rwm' }],
          memory: { limit: 1, swappiness: 0 },
          cpu: { shares: 1, cpus: '0' },
          blockIO: { weight: 10, weightDevice: [{ major: 8, minor: 0, weight: 1 }], throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 }] },
          hugepageLimits: [{ pageSize: '2MB', limit: 1 }],
          network: { classID: 1, priorities: [{ name: 'eth0', priority: 1 }] },
          pids: { limit: 1 },
          rdma: { mlx: { hcaHandles: 1 } },
          unified: { 'memory.high': '1' },
        },
        intelRdt: { closID: 'c', schemata: ['L3:0=f'] },
        sysctl: { 'net.ipv4.ip_forward': '1' },
        seccomp: {
          defaultAction: 'SCMP_ACT_ERRNO',
          architectures: ['SCMP_ARCH_X86_64'],
          flags: ['SECCOMP_FILTER_FLAG_LOG'],
          syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] }],
        },
        rootfsPropagation: 'private',
        maskedPaths: ['/proc/kcore'],
        readonlyPaths: ['/proc/sys'],
        mountLabel: 'm',
        personality: { domain: 'LINUX' },
        memoryPolicy: { mode: 'MPOL_BIND', nodes: '0' },
      },
    },
    { ociVersion: 1, process: { args: 1 }, linux: { resources: { blockIO: { weightDevice: [{}] } } } },
  ],
  state: [{ ociVersion: '1.3.0', id: 'x', status: 'running', pid: 1, bundle: '/b', annotations: {} }],
  features: [{ ociVersionMin: '1.0.0', ociVersionMax: '1.3.0', hooks: [], linux: { namespaces: [], cgroup: { v2: true }, seccomp: { enabled: true } } }],
};

function build() {
  const byId = loadSchemas();
  const ajv = new Ajv({
    schemas: [...byId.values()].map(stripAnnotations),
    allErrors: true, // every problem, not the first
    inlineRefs: false, // a $ref is a call to one shared function, not a copy of its code
    messages: false, // src/spec/validate.ts writes its own
    strict: true,
    strictRequired: false, // required names inside anyOf/if branches are declared by the parent
    strictTypes: false, // if/then branches name properties without repeating the type
    allowUnionTypes: true,
    code: { source: true, optimize: true, lines: false },
  });

  const refs = {};
  for (const [name, r] of Object.entries(ROOTS)) refs[name] = r.id;
  let code = standaloneCode(ajv, refs);
  code = inlineRuntimeHelpers(code);
  code = compactErrorPushes(code);

  const expectations = {};
  for (const r of Object.values(ROOTS)) expectations[r.kind] = tree(byId, byId.get(r.id), r.id);
  // Non-ASCII in the phrases is escaped: the module must be pure ASCII (see below).
  const json = JSON.stringify(expectations).replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  // Only needed when a document is wrong: parsed on first use. JSON.parse of a string literal
  // is cheaper than a large object literal.
  code +=
    `\nlet __expectations;\nObject.defineProperty(exports, "expectations", { enumerable: true, get() {` +
    ` return __expectations || (__expectations = JSON.parse(${JSON.stringify(json)})); } });\n`;

  const leftover = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
  for (const mod of leftover) {
    if (!mod.startsWith('ajv/dist/runtime/')) throw new Error(`generated validators require ${mod}: only ajv/dist/runtime helpers may be used`);
  }

  // The first line names this build; the code cache below carries the same line, so that a
  // cache is never used with a validators.js it was not made from.
  const buildId = `${Date.now().toString(36)}-${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const header = `/* Generated by spec-schemas/build.js from spec-schemas/*.json (runtime-spec 1.3.0), build ${buildId}. Do not edit. */\n`;
  const source = header + code;
  // Pure ASCII, so that src/spec/validate.ts can read it as latin1 (no UTF-8 decoding, and
  // V8 keeps it as a one-byte string).
  const nonAscii = /[^\x00-\x7f]/.exec(source);
  if (nonAscii) throw new Error(`generated code has a non-ASCII character near: ${source.slice(Math.max(0, nonAscii.index - 40), nonAscii.index + 10)}`);
  fs.mkdirSync(OUT_DIR, { recursive: true });
  writeAtomic(OUT, source);
  const cache = makeCodeCache(source);
  writeAtomic(CACHE, Buffer.concat([Buffer.from(header, 'latin1'), cache]));
  return { file: OUT, bytes: Buffer.byteLength(source), cacheBytes: cache.length, requires: leftover };
}

if (require.main === module) {
  try {
    const r = build();
    const rel = path.relative(process.cwd(), r.file) || r.file;
    process.stdout.write(
      `${rel}: ${(r.bytes / 1024).toFixed(0)} KiB, code cache ${(r.cacheBytes / 1024).toFixed(0)} KiB` +
        `${r.requires.length ? `, requires ${r.requires.join(', ')}` : ''}\n`,
    );
  } catch (e) {
    process.stderr.write(`spec-schemas/build.js: ${e && e.message ? e.message : e}\n`);
    process.exit(1);
  }
}

module.exports = { build, describe, tree, loadSchemas };
