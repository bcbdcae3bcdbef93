import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import { OcirtError, configError, errnoText, errnoCode, systemErrorText, describeSystemError, ERRNO_TEXT } from '../../src/errors';
import { ERRNO } from '../../src/plan/contract.gen';

test('errnoText: one table (the contract\'s) for numbers, negative returns and codes', () => {
  assert.is(errnoText(1), 'operation not permitted');
  assert.is(errnoText(-2), 'no such file or directory');
  assert.is(errnoText('EACCES'), 'permission denied');
  assert.is(errnoText(11), ERRNO[11][1]);
  for (const [n, [code, text]] of Object.entries(ERRNO)) {
    assert.is(errnoText(Number(n)), text);
    assert.is(errnoText(code), text);
    assert.is(ERRNO_TEXT[code], text);
    assert.is(errnoCode(-Number(n)), code);
  }
});

test('errnoText: an errno outside the table is named, never undefined', () => {
  assert.is(errnoText(4095), 'errno 4095');
  assert.is(errnoText('ECONNRESET'), 'ECONNRESET');
  assert.is(errnoCode(4095), undefined);
});

test('Node fs errors: the text alone, or with the call and the path', () => {
  let e: unknown;
  try {
    fs.readFileSync('/no/such/ocirt-file');
  } catch (x) {
    e = x;
  }
  assert.is(systemErrorText(e), 'no such file or directory');
  assert.is(describeSystemError(e), 'open /no/such/ocirt-file: no such file or directory');
  // Node's own codes (ERR_...) are not errnos: the message stands.
  const nodeErr = Object.assign(new TypeError('The "path" argument must be of type string'), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.is(systemErrorText(nodeErr), 'The "path" argument must be of type string');
  assert.is(describeSystemError(nodeErr), 'The "path" argument must be of type string');
});

test('configError keeps the pointer and its parts: inFile names another file without reading the message', () => {
  const e = configError('user', '/process/user/uid', ': must be a number', { code: 'EINVAL' });
  assert.is(e.message, 'user (config.json /process/user/uid): must be a number');
  assert.is(e.pointer, '/process/user/uid');
  assert.is(e.code, 'EINVAL');
  const moved = e.inFile('/tmp/p.json', '/user/uid');
  assert.is(moved.message, 'user (/tmp/p.json /user/uid): must be a number');
  assert.is(moved.pointer, '/process/user/uid');
  assert.is(moved.code, 'EINVAL');
  const plain = new OcirtError('container "x" does not exist');
  assert.is(plain.inFile('/tmp/p.json', '/'), plain);
});

test.run();
