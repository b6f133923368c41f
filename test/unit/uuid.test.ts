import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUuid } from '../../src/content/uuid.js';

const CANON = '3f1c2b7e-8a41-4d8e-9b0c-5e2f7a6d1c90';

test('parseUuid accepts the canonical hyphenated form', () => {
  assert.equal(parseUuid(CANON), CANON);
});

test('parseUuid accepts upper and mixed case and lower-cases it', () => {
  assert.equal(parseUuid(CANON.toUpperCase()), CANON);
  assert.equal(parseUuid('3F1c2B7e-8A41-4d8E-9b0C-5e2F7a6D1c90'), CANON);
});

test('parseUuid accepts 32 bare hex digits', () => {
  assert.equal(parseUuid(CANON.replaceAll('-', '')), CANON);
  assert.equal(parseUuid(CANON.replaceAll('-', '').toUpperCase()), CANON);
});

test('parseUuid accepts a urn:uuid: prefix in any case', () => {
  assert.equal(parseUuid(`urn:uuid:${CANON}`), CANON);
  assert.equal(parseUuid(`URN:UUID:${CANON.toUpperCase()}`), CANON);
});

test('parseUuid accepts braces', () => {
  assert.equal(parseUuid(`{${CANON}}`), CANON);
  assert.equal(parseUuid(`{${CANON.toUpperCase()}}`), CANON);
});

test('parseUuid accepts the nil UUID and any version', () => {
  assert.equal(parseUuid('00000000-0000-0000-0000-000000000000'), '00000000-0000-0000-0000-000000000000');
  assert.equal(parseUuid('ffffffff-ffff-ffff-ffff-ffffffffffff'), 'ffffffff-ffff-ffff-ffff-ffffffffffff');
});

test('parseUuid rejects malformed input', () => {
  const bad = [
    '',
    'not-a-uuid',
    CANON.slice(0, 35),
    `${CANON}0`,
    CANON.replace('3', 'g'),
    ` ${CANON}`,
    `${CANON} `,
    `{${CANON}`,
    `${CANON}}`,
    `(${CANON})`,
    `{${CANON.replaceAll('-', '')}}`,
    `urn:uuid:${CANON.replaceAll('-', '')}`,
    `urn:uuid:{${CANON}}`,
    `uri:uuid:${CANON}`,
    '3f1c2b7e8a41-4d8e-9b0c-5e2f7a6d1c90-',
    '3f1c2b7e-8a41-4d8e-9b0c_5e2f7a6d1c90',
    CANON.replaceAll('-', '').slice(0, 31) + 'z',
    '３f1c2b7e-8a41-4d8e-9b0c-5e2f7a6d1c90',
  ];
  for (const s of bad) assert.equal(parseUuid(s), null, JSON.stringify(s));
});

test('parseUuid returns null for non-strings at runtime', () => {
  for (const v of [null, undefined, 42, {}, []]) assert.equal(parseUuid(v as unknown as string), null);
});
