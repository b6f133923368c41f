import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskIp } from '../../src/domain/sessions.js';

test('addresses are masked before they are stored or shown', () => {
  assert.equal(maskIp('203.0.113.57'), '203.0.113.x');
  assert.equal(maskIp('::ffff:198.51.100.7'), '198.51.100.x');
  assert.equal(maskIp('2001:db8:85a3::8a2e:370:7334'), '2001:db8:85a3::x');
  assert.equal(maskIp('2001:db8:85a3:1:2:8a2e:370:7334'), '2001:db8:85a3::x');
  assert.equal(maskIp('::1'), '0::x');
  assert.equal(maskIp('not an address'), '');
});
