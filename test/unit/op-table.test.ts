import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OP_TABLE } from '../../src/ops/index.js';
import { checkOpTable } from '../../src/ops/dispatcher.js';
import { OP_NAMES } from '../../src/protocol/op-names.js';
import type { OpDefinition } from '../../src/ops/op.js';

test('every op of the protocol is registered with auth, cost, schema and failure declared', () => {
  assert.doesNotThrow(() => checkOpTable(OP_TABLE));
  assert.deepEqual(Object.keys(OP_TABLE).sort(), [...OP_NAMES].sort());
});

test('an op registered without its declarations is refused at startup', () => {
  for (const missing of ['auth', 'cost', 'schema', 'failure'] as const) {
    const broken = { ...OP_TABLE, send: { ...OP_TABLE.send, [missing]: undefined } as unknown as OpDefinition };
    assert.throws(() => checkOpTable(broken), /op "send"/, missing);
  }
  const { pin: _pin, ...withoutPin } = OP_TABLE;
  assert.throws(() => checkOpTable(withoutPin as typeof OP_TABLE), /op "pin" is not registered/);
});

test('only hi, login and acc can run before login', () => {
  const open = Object.values(OP_TABLE)
    .filter((op) => op.auth === 'none')
    .map((op) => op.name)
    .sort();
  assert.deepEqual(open, ['acc', 'hi', 'login']);
  assert.equal(OP_TABLE.acc.authFor?.({ user: 'me' }), 'user');
  assert.equal(OP_TABLE.acc.authFor?.({ user: 'new' }), 'none');
  assert.equal(OP_TABLE.acc.authFor?.({ user: 'other' }), 'user');
});
