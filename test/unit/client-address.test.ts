import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { clientAddressOf } from '../../src/server/client-address.js';

const req = (peer: string, forwarded?: string) =>
  ({ socket: { remoteAddress: peer }, headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded } }) as unknown as IncomingMessage;

test('without trusted proxies X-Forwarded-For is ignored: the client is the socket peer', () => {
  assert.equal(clientAddressOf(false)(req('192.0.2.1', '198.51.100.1')), '192.0.2.1');
});

test('a hop count skips that many proxies from the right; what the client wrote on the left is never the address', () => {
  // client 203.0.113.5 wrote "1.1.1.1" itself; proxy A (10.0.0.1) appended 203.0.113.5; proxy B (socket peer) appended 10.0.0.1.
  const chain = '1.1.1.1, 203.0.113.5, 10.0.0.1';
  assert.equal(clientAddressOf(1)(req('10.0.0.2', '1.1.1.1, 203.0.113.5')), '203.0.113.5');
  assert.equal(clientAddressOf(2)(req('10.0.0.2', chain)), '203.0.113.5');
  // More hops configured than entries present: the left-most entry is the best there is.
  assert.equal(clientAddressOf(3)(req('10.0.0.2', '203.0.113.5')), '203.0.113.5');
  assert.equal(clientAddressOf(1)(req('10.0.0.2')), '10.0.0.2');
});

test('trusted addresses and CIDRs (IPv4 and IPv6) are skipped from the right; the first untrusted entry is the client', () => {
  const at = clientAddressOf(['10.0.0.0/8', 'fd00::/8']);
  assert.equal(at(req('10.0.0.2', '1.1.1.1, 203.0.113.5, 10.0.0.1')), '203.0.113.5');
  assert.equal(at(req('fd00::2', '1.1.1.1, 2001:db8::5, fd00::1')), '2001:db8::5');
  // A peer that is not a trusted proxy is the client, whatever it claims.
  assert.equal(at(req('198.51.100.9', '1.1.1.1')), '198.51.100.9');
});
