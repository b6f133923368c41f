import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { decodeKey, generateKey } from './crypto/keys.js';
import { hostname } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import proxyaddr from '@fastify/proxy-addr';

/** One typed, validated configuration: defaults < YAML file (MVCHAT_CONFIG) < environment. */
export interface Config {
  production: boolean;
  host: string;
  port: number;
  nodeId: string;
  dataDir: string;
  databaseUrl: string | null;
  redisUrl: string | null;
  redisPrefix: string;
  build: string;
  logLevel: string;
  /** Seconds a socket may stay unauthenticated. */
  authTimeout: number;
  /** Seconds between pings; a peer silent for two intervals is closed. */
  heartbeatInterval: number;
  tokenKey: Buffer;
  tokenLifetime: number;
  /** Seconds a session lasts from its password login, whatever its tokens say. */
  sessionLifetime: number;
  /** Sessions a user may have at once; a new one ends the oldest. */
  maxSessions: number;
  /** First key encrypts new content; the rest still decrypt (rotation). */
  encryptionKeys: Buffer[];
  allowedOrigins: string[];
  frameRate: number;
  authLimit: number;
  minLoginLength: number;
  minPasswordLength: number;
  outboundSoftLimit: number;
  outboundHardLimit: number;
  presenceTtl: number;
  /** Seconds a conversation's message frame may wait at a node for a missing lower seq (cluster). */
  orderHold: number;
  /** Test only: milliseconds each cross-node send of this node is held back (reproduces races between nodes). */
  testPublishDelayMs: number;
  shutdownTimeout: number;
  publicBaseUrl: string;
  smtpUrl: string | null;
  mailFrom: string;
  emailVerification: boolean;
  verificationExpiryHours: number;
  uploadMaxBytes: number;
  uploadRate: number;
  /** Seconds a client may take to send a request's headers (then 408). */
  headersTimeout: number;
  /** Seconds an upload body may stall (no bytes arriving) before it is answered 408. */
  bodyIdleTimeout: number;
  inviteRate: number;
  /** Seconds a node holds an account-deletion job without progress before another node may take it over. */
  deletionLease: number;
  /** Seconds the sync log keeps events; an older cursor answers `gap`. */
  syncRetention: number;
  workers: number;
  /** permessage-deflate for WebSocket (costs memory per connection). */
  compression: boolean;
  /**
   * Proxies in front of the server whose X-Forwarded-For entries are believed:
   * `false` none (the socket address is the client), a hop count, or
   * addresses/CIDRs. The client is the right-most entry not written by one of them.
   */
  trustProxy: TrustProxy;
}

export type TrustProxy = false | number | string[];

type Source = Record<string, string | undefined>;

/** Setting name (env var / YAML key) → how to read it. YAML keys are the env names, lower-cased, without MVCHAT_. */
const NUMBERS = {
  MVCHAT_PORT: ['port', 6060, 0, 65535],
  MVCHAT_AUTH_TIMEOUT: ['authTimeout', 30, 0.05, 3600],
  MVCHAT_HEARTBEAT: ['heartbeatInterval', 30, 0.05, 3600],
  MVCHAT_TOKEN_LIFETIME: ['tokenLifetime', 1_209_600, 60, 31_536_000],
  MVCHAT_SESSION_LIFETIME: ['sessionLifetime', 7_776_000, 60, 31_536_000],
  MVCHAT_MAX_SESSIONS: ['maxSessions', 10, 1, 1000],
  MVCHAT_FRAME_RATE: ['frameRate', 30, 1, 100_000],
  MVCHAT_AUTH_LIMIT: ['authLimit', 10, 0, 1_000_000],
  MVCHAT_MIN_LOGIN_LENGTH: ['minLoginLength', 4, 1, 64],
  MVCHAT_MIN_PASSWORD_LENGTH: ['minPasswordLength', 6, 1, 1024],
  MVCHAT_OUTBOUND_SOFT_LIMIT: ['outboundSoftLimit', 256 * 1024, 1024, 1 << 30],
  MVCHAT_OUTBOUND_HARD_LIMIT: ['outboundHardLimit', 4 * 1024 * 1024, 4096, 1 << 30],
  MVCHAT_PRESENCE_TTL: ['presenceTtl', 30, 1, 3600],
  MVCHAT_ORDER_HOLD: ['orderHold', 0.5, 0, 10],
  MVCHAT_TEST_PUBLISH_DELAY_MS: ['testPublishDelayMs', 0, 0, 10_000],
  MVCHAT_SHUTDOWN_TIMEOUT: ['shutdownTimeout', 10, 1, 600],
  MVCHAT_VERIFICATION_EXPIRY_HOURS: ['verificationExpiryHours', 24, 1, 10_000],
  MVCHAT_UPLOAD_MAX_BYTES: ['uploadMaxBytes', 8 * 1024 * 1024, 1, 1 << 40],
  MVCHAT_UPLOAD_RATE: ['uploadRate', 10, 0, 1_000_000],
  MVCHAT_HEADERS_TIMEOUT: ['headersTimeout', 30, 0.05, 3600],
  MVCHAT_BODY_IDLE_TIMEOUT: ['bodyIdleTimeout', 30, 0.05, 3600],
  MVCHAT_INVITE_RATE: ['inviteRate', 20, 0, 1_000_000],
  MVCHAT_DELETION_LEASE: ['deletionLease', 60, 1, 3600],
  MVCHAT_SYNC_RETENTION: ['syncRetention', 604_800, 60, 31_536_000],
} as const satisfies Record<string, readonly [keyof Config, number, number, number]>;

export class ConfigError extends Error {}

function fileSettings(file: string | undefined): Source {
  if (!file) return {};
  const doc: unknown = parseYaml(readFileSync(file, 'utf8'));
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`${file}: expected a mapping of settings`);
  const out: Source = {};
  for (const [k, v] of Object.entries(doc)) {
    const name =
      k.toUpperCase().startsWith('MVCHAT_') || ['DATABASE_URL', 'REDIS_URL', 'NODE_ENV'].includes(k.toUpperCase())
        ? k.toUpperCase()
        : `MVCHAT_${k.toUpperCase()}`;
    out[name] = Array.isArray(v) ? v.join(',') : String(v);
  }
  return out;
}

function readNumber(src: Source, name: keyof typeof NUMBERS): number {
  const [, def, min, max] = NUMBERS[name];
  const raw = src[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new ConfigError(`${name} must be a number between ${min} and ${max}, got "${raw}"`);
  return n;
}

function readBool(src: Source, name: string, def: boolean): boolean {
  const raw = src[name]?.toLowerCase();
  if (raw === undefined || raw === '') return def;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

/**
 * MVCHAT_TRUST_PROXY: unset/false = no proxy; a whole number = that many proxy hops;
 * otherwise a comma-separated list of addresses, CIDRs or `loopback`/`linklocal`/`uniquelocal`.
 * `true` would believe whatever the client writes into X-Forwarded-For, so it is refused.
 */
function readTrustProxy(value: string | undefined): TrustProxy {
  const raw = (value ?? '').trim();
  const lower = raw.toLowerCase();
  if (['', 'false', 'no', 'off'].includes(lower)) return false;
  if (['true', 'yes', 'on'].includes(lower)) {
    throw new ConfigError(
      'MVCHAT_TRUST_PROXY=true would take the client address from the X-Forwarded-For entry the client writes itself; ' +
        'set the number of proxies in front of mvchat (for example MVCHAT_TRUST_PROXY=1) or their addresses/CIDRs (for example MVCHAT_TRUST_PROXY=10.0.0.0/8,::1), or false for none',
    );
  }
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > 64) throw new ConfigError(`MVCHAT_TRUST_PROXY must be a hop count between 0 and 64 or a list of addresses/CIDRs, got "${raw}"`);
    return hops === 0 ? false : hops;
  }
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) return false;
  try {
    proxyaddr.compile(list);
  } catch (err) {
    throw new ConfigError(`MVCHAT_TRUST_PROXY must be a hop count or a comma-separated list of addresses/CIDRs: ${(err as Error).message}`);
  }
  return list;
}

/** Decodes a base64 key setting; `sizes` lists exact byte lengths, or one negative number for "at least". */
function decodeBase64Key(value: string, name: string, sizes: number[]): Buffer {
  let key: Buffer;
  try {
    key = decodeKey(value, name, 1);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (!sizes.some((s) => (s < 0 ? key.length >= -s : key.length === s))) {
    throw new ConfigError(`${name} must decode to ${sizes.map((s) => (s < 0 ? `at least ${-s}` : s)).join(' or ')} bytes`);
  }
  return key;
}

/** Embedded default: keys made once into the data folder (mode 0600) and reused, so tokens survive restarts. */
function storedKey(dataDir: string, file: string): string {
  const p = path.join(dataDir, file);
  if (existsSync(p)) return readFileSync(p, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const key = generateKey(32);
  writeFileSync(p, key + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(p, 0o600);
  return key;
}

export function loadConfig(env: Source = process.env, overrides: Partial<Config> = {}): Config {
  const src: Source = { ...fileSettings(env.MVCHAT_CONFIG), ...stripEmpty(env) };
  const production = src.NODE_ENV === 'production';
  const dataDir = path.resolve(src.MVCHAT_DATA_DIR || './data');

  const nums = Object.fromEntries((Object.keys(NUMBERS) as (keyof typeof NUMBERS)[]).map((name) => [NUMBERS[name][0], readNumber(src, name)])) as Pick<
    Config,
    (typeof NUMBERS)[keyof typeof NUMBERS][0]
  >;

  const missing = ['MVCHAT_TOKEN_KEY', 'MVCHAT_ENCRYPTION_KEY'].filter(
    (n) => !src[n] && !(n === 'MVCHAT_TOKEN_KEY' ? overrides.tokenKey : overrides.encryptionKeys),
  );
  if (production && missing.length > 0) {
    throw new ConfigError(
      `NODE_ENV=production requires ${missing.join(' and ')} (base64 key material; generate with: node -e "console.log(require('crypto').randomBytes(32).toString('base64'))")`,
    );
  }
  const tokenKey = overrides.tokenKey ?? decodeBase64Key(src.MVCHAT_TOKEN_KEY ?? storedKey(dataDir, 'token.key'), 'MVCHAT_TOKEN_KEY', [-32]);
  const encryptionKeys = overrides.encryptionKeys ?? [
    decodeBase64Key(src.MVCHAT_ENCRYPTION_KEY ?? storedKey(dataDir, 'encryption.key'), 'MVCHAT_ENCRYPTION_KEY', [16, 24, 32]),
    ...(src.MVCHAT_ENCRYPTION_OLD_KEYS ?? '')
      .split(',')
      .filter((k) => k.trim())
      .map((k, i) => decodeBase64Key(k, `MVCHAT_ENCRYPTION_OLD_KEYS[${i}]`, [16, 24, 32])),
  ];

  if (production && nums.testPublishDelayMs > 0)
    throw new ConfigError('MVCHAT_TEST_PUBLISH_DELAY_MS is for tests only; it is refused with NODE_ENV=production');
  if (nums.outboundHardLimit <= nums.outboundSoftLimit) throw new ConfigError('MVCHAT_OUTBOUND_HARD_LIMIT must be larger than MVCHAT_OUTBOUND_SOFT_LIMIT');

  const workersRaw = src.MVCHAT_WORKERS ?? '1';
  const workers = workersRaw === 'auto' ? 0 : Number(workersRaw);
  if (!Number.isInteger(workers) || workers < 0 || workers > 256) throw new ConfigError('MVCHAT_WORKERS must be a whole number or "auto"');

  const port = nums.port;
  const config: Config = {
    production,
    host: src.MVCHAT_HOST ?? '0.0.0.0',
    nodeId: src.MVCHAT_NODE_ID ?? `${hostname()}-${randomUUID().slice(0, 8)}`,
    dataDir,
    databaseUrl: src.DATABASE_URL ?? null,
    redisUrl: src.REDIS_URL ?? null,
    redisPrefix: src.MVCHAT_REDIS_PREFIX ?? 'mvchat:',
    build: src.MVCHAT_BUILD ?? 'dev',
    logLevel: src.MVCHAT_LOG_LEVEL ?? 'info',
    ...nums,
    port,
    tokenKey,
    encryptionKeys,
    allowedOrigins: (src.MVCHAT_ALLOWED_ORIGINS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    publicBaseUrl: (src.MVCHAT_PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    smtpUrl: src.MVCHAT_SMTP_URL ?? null,
    mailFrom: src.MVCHAT_MAIL_FROM ?? 'mvchat <no-reply@localhost>',
    emailVerification: readBool(src, 'MVCHAT_EMAIL_VERIFICATION', false),
    workers,
    compression: readBool(src, 'MVCHAT_COMPRESSION', false),
    trustProxy: readTrustProxy(src.MVCHAT_TRUST_PROXY),
    ...overrides,
  };
  return config;
}

function stripEmpty(env: Source): Source {
  const out: Source = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}
