import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';

const dir = () => mkdtempSync(path.join(tmpdir(), 'mvchat-config-'));
const key = Buffer.alloc(32, 7).toString('base64');

test('defaults: port 6060, host 0.0.0.0, ./data, auth timeout 30 s, embedded store', () => {
  const d = dir();
  const c = loadConfig({ MVCHAT_DATA_DIR: d });
  assert.equal(c.port, 6060);
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.authTimeout, 30);
  assert.equal(c.frameRate, 30);
  assert.equal(c.authLimit, 10);
  assert.equal(c.databaseUrl, null);
  assert.equal(c.redisUrl, null);
  assert.equal(loadConfig({}).dataDir, path.resolve('./data'));
});

test('embedded default generates keys once (mode 0600) and reuses them', () => {
  const d = dir();
  const a = loadConfig({ MVCHAT_DATA_DIR: d });
  const b = loadConfig({ MVCHAT_DATA_DIR: d });
  assert.deepEqual(a.tokenKey, b.tokenKey);
  assert.deepEqual(a.encryptionKeys, b.encryptionKeys);
  for (const f of ['token.key', 'encryption.key']) {
    assert.equal(statSync(path.join(d, f)).mode & 0o777, 0o600);
    assert.equal(Buffer.from(readFileSync(path.join(d, f), 'utf8').trim(), 'base64').length, 32);
  }
});

test('production refuses to start without explicit keys, naming the missing setting', () => {
  assert.throws(() => loadConfig({ NODE_ENV: 'production', MVCHAT_DATA_DIR: dir() }), /MVCHAT_TOKEN_KEY and MVCHAT_ENCRYPTION_KEY/);
  assert.throws(() => loadConfig({ NODE_ENV: 'production', MVCHAT_DATA_DIR: dir(), MVCHAT_TOKEN_KEY: key }), /requires MVCHAT_ENCRYPTION_KEY/);
  const c = loadConfig({ NODE_ENV: 'production', MVCHAT_DATA_DIR: dir(), MVCHAT_TOKEN_KEY: key, MVCHAT_ENCRYPTION_KEY: key });
  assert.equal(c.production, true);
});

test('the test-only publish delay is refused in production', () => {
  const env = { NODE_ENV: 'production', MVCHAT_DATA_DIR: dir(), MVCHAT_TOKEN_KEY: key, MVCHAT_ENCRYPTION_KEY: key };
  assert.throws(() => loadConfig({ ...env, MVCHAT_TEST_PUBLISH_DELAY_MS: '100' }), /MVCHAT_TEST_PUBLISH_DELAY_MS is for tests only/);
  assert.equal(loadConfig({ ...env, MVCHAT_ORDER_HOLD: '1.5' }).orderHold, 1.5);
});

test('environment overrides the YAML file, which overrides defaults; bad values name the setting', () => {
  const d = dir();
  const file = path.join(d, 'mvchat.yaml');
  writeFileSync(file, `port: 7070\nframe_rate: 50\nallowed_origins:\n  - https://a.example\n  - https://*.b.example\ndata_dir: ${d}\n`);
  const c = loadConfig({ MVCHAT_CONFIG: file, MVCHAT_FRAME_RATE: '40' });
  assert.equal(c.port, 7070);
  assert.equal(c.frameRate, 40);
  assert.deepEqual(c.allowedOrigins, ['https://a.example', 'https://*.b.example']);
  assert.throws(
    () => loadConfig({ MVCHAT_DATA_DIR: d, MVCHAT_PORT: 'abc' }),
    (e: Error) => e instanceof ConfigError && /MVCHAT_PORT/.test(e.message),
  );
  assert.throws(() => loadConfig({ MVCHAT_DATA_DIR: d, MVCHAT_TOKEN_KEY: 'short' }), /MVCHAT_TOKEN_KEY/);
  assert.throws(() => loadConfig({ MVCHAT_DATA_DIR: d, MVCHAT_ENCRYPTION_KEY: Buffer.alloc(20).toString('base64') }), /MVCHAT_ENCRYPTION_KEY/);
});

test('old encryption keys are kept for decryption after rotation', () => {
  const old = Buffer.alloc(32, 1).toString('base64');
  const c = loadConfig({ MVCHAT_DATA_DIR: dir(), MVCHAT_ENCRYPTION_KEY: key, MVCHAT_ENCRYPTION_OLD_KEYS: old });
  assert.equal(c.encryptionKeys.length, 2);
  assert.equal(c.encryptionKeys[1]?.toString('base64'), old);
});

test('MVCHAT_TRUST_PROXY takes a hop count or proxy addresses; "true" is refused with what to set instead', () => {
  const d = dir();
  const trust = (v: string | undefined) => loadConfig({ MVCHAT_DATA_DIR: d, MVCHAT_TRUST_PROXY: v }).trustProxy;
  assert.equal(trust(undefined), false);
  assert.equal(trust('false'), false);
  assert.equal(trust('0'), false);
  assert.equal(trust('1'), 1);
  assert.equal(trust('2'), 2);
  assert.deepEqual(trust('10.0.0.0/8, 192.0.2.7,fd00::/8, ::1,loopback'), ['10.0.0.0/8', '192.0.2.7', 'fd00::/8', '::1', 'loopback']);
  for (const v of ['true', 'TRUE', 'yes', 'on']) {
    assert.throws(
      () => trust(v),
      (e: Error) => e instanceof ConfigError && /MVCHAT_TRUST_PROXY/.test(e.message) && /MVCHAT_TRUST_PROXY=1/.test(e.message) && /CIDR/.test(e.message),
      v,
    );
  }
  for (const v of ['proxy.example', '10.0.0.0/99', '300.1.2.3']) {
    assert.throws(
      () => trust(v),
      (e: Error) => e instanceof ConfigError && /MVCHAT_TRUST_PROXY/.test(e.message),
      v,
    );
  }
  const file = path.join(d, 'mvchat.yaml');
  writeFileSync(file, `data_dir: ${d}\ntrust_proxy:\n  - 10.1.0.0/16\n  - 2001:db8::/32\n`);
  assert.deepEqual(loadConfig({ MVCHAT_CONFIG: file }).trustProxy, ['10.1.0.0/16', '2001:db8::/32']);
  writeFileSync(file, `data_dir: ${d}\ntrust_proxy: true\n`);
  assert.throws(() => loadConfig({ MVCHAT_CONFIG: file }), ConfigError);
});
