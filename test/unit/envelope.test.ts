import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEnvelope, salvageId } from '../../src/protocol/envelope.js';
import { formatTs } from '../../src/protocol/time.js';
import { OP_NAMES } from '../../src/protocol/op-names.js';

test('timestamps drop trailing fractional zeros', () => {
  assert.equal(formatTs(new Date('2026-01-08T04:00:00.000Z')), '2026-01-08T04:00:00Z');
  assert.equal(formatTs(new Date('2026-01-08T04:00:00.120Z')), '2026-01-08T04:00:00.12Z');
  assert.equal(formatTs(new Date('2026-01-08T04:00:00.123Z')), '2026-01-08T04:00:00.123Z');
});

test('id is salvaged from frames that are not JSON', () => {
  assert.equal(salvageId('{"id":"17","send":{"conv":'), '17');
  assert.equal(salvageId('{"id":"a\\"b", x'), 'a"b');
  assert.equal(salvageId('{"id":7'), undefined);
  // An id the envelope refuses is still echoed exactly, so the client can match the error.
  assert.equal(salvageId(`{"id":"${'x'.repeat(65)}"`), 'x'.repeat(65));
  assert.equal(salvageId('{"id":"a\\ud800", x'), 'a\ud800');
});

test('envelope steps in order: malformed, missing type, several types, id required', () => {
  assert.deepEqual(parseEnvelope('nope'), { ok: false, id: undefined, error: 'malformed' });
  assert.deepEqual(parseEnvelope('[1]'), { ok: false, id: undefined, error: 'malformed' });
  assert.deepEqual(parseEnvelope('{"id":7,"hi":{}}'), { ok: false, id: undefined, error: 'malformed' });
  assert.deepEqual(parseEnvelope('{"id":"1","group":{}}'), { ok: false, id: '1', error: 'missingType' });
  assert.deepEqual(parseEnvelope('{"id":"1","hi":null}'), { ok: false, id: '1', error: 'missingType' });
  assert.deepEqual(parseEnvelope('{"id":"1","hi":{},"login":{}}'), { ok: false, id: '1', error: 'multipleTypes' });
  assert.deepEqual(parseEnvelope('{"hi":{}}'), { ok: false, id: undefined, error: 'idRequired' });
  assert.deepEqual(parseEnvelope('{"id":"","hi":{}}'), { ok: false, id: undefined, error: 'idRequired' });
  assert.deepEqual(parseEnvelope('{"typing":{"conv":"x"}}'), { ok: true, id: undefined, op: 'typing', body: { conv: 'x' } });
});

test('every pair of op keys is refused with the id (DEFECTS 5)', () => {
  for (const a of OP_NAMES) {
    for (const b of OP_NAMES) {
      if (a >= b) continue;
      const r = parseEnvelope(JSON.stringify({ id: 'p', [a]: {}, [b]: {} }));
      assert.deepEqual(r, { ok: false, id: 'p', error: 'multipleTypes' }, `${a}+${b}`);
    }
  }
});

test('NUL and lone surrogates anywhere are refused at the edge (DEFECTS 19)', () => {
  assert.deepEqual(parseEnvelope('{"id":"1","search":{"query":"a\\u0000b"}}'), { ok: false, id: '1', error: 'malformed' });
  assert.deepEqual(parseEnvelope('{"id":"1","search":{"query":"\\ud800"}}'), { ok: false, id: '1', error: 'malformed' });
  assert.deepEqual(parseEnvelope('{"id":"1","acc":{"desc":{"public":{"\\udc00":1}}}}'), { ok: false, id: '1', error: 'malformed' });
});

test('an id the envelope refuses is echoed as sent with the error', () => {
  const long = 'y'.repeat(65);
  assert.deepEqual(parseEnvelope(JSON.stringify({ id: long, hi: {} })), { ok: false, id: long, error: 'malformed' });
  assert.deepEqual(parseEnvelope('{"id":"\\ud800","hi":{}}'), { ok: false, id: '\ud800', error: 'malformed' });
  assert.deepEqual(parseEnvelope('{"id":"a\\u0000","hi":{}}'), { ok: false, id: 'a\u0000', error: 'malformed' });
});
