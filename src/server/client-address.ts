import type { IncomingMessage } from 'node:http';
import proxyaddr from '@fastify/proxy-addr';
import type { TrustProxy } from '../config.js';

export type ClientAddress = (req: IncomingMessage) => string;

/**
 * How the client address of a request is found (what per-address limits count).
 * Without trusted proxies it is the socket peer. Otherwise X-Forwarded-For is read
 * from the right: entries appended by trusted proxies (a hop count, or addresses and
 * CIDRs) are skipped, and the first one they did not write is the client. Entries
 * further left were written by the client itself and are never believed.
 */
export function clientAddressOf(trust: TrustProxy): ClientAddress {
  const peer = (req: IncomingMessage) => req.socket.remoteAddress || 'unknown';
  if (trust === false) return peer;
  const trusted = typeof trust === 'number' ? (_addr: string, i: number) => i < trust : proxyaddr.compile(trust);
  return (req) => (req.socket.remoteAddress ? proxyaddr(req, trusted) : 'unknown');
}
