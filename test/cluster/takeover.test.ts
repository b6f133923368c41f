import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { SignJWT } from 'jose';
import { up as referenceSchema } from '../../src/store/migrations/001-reference-schema.js';
import { columnTypes } from '../../src/store/migrations/column-types.js';
import { hashPassword } from '../../src/crypto/passwords.js';
import { basic } from '../helpers/client.js';
import { freshPgDatabase, PG_URL, startServer } from '../helpers/server.js';

/** Content as the reference wrote it: AES-GCM, nonce ‖ ciphertext ‖ tag, no key id. */
function referenceEncrypt(key: Buffer, text: string): Buffer {
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  const body = Buffer.concat([c.update(text, 'utf8'), c.final()]);
  return Buffer.concat([nonce, body, c.getAuthTag()]);
}

test('taking over a database written by the reference server (schema 10): passwords, tokens and history keep working', {
  skip: !PG_URL && 'MVCHAT_TEST_DATABASE_URL not set',
}, async () => {
  const db = await freshPgDatabase();
  const tokenKey = randomBytes(32);
  const encKey = randomBytes(32);
  const dana = randomUUID();
  const eli = randomUUID();
  const conv = randomUUID();
  const text = '{"v":1,"text":"Hey Eli",  "mentions":[{"userId":"' + eli + '","username":"Eli","offset":4,"length":3}]}';
  {
    // The reference's own tables and rows, written without mvchat's additions.
    const k = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: db.url }) }) });
    await referenceSchema({ db: k, dialect: 'postgres', t: columnTypes('postgres') });
    const now = new Date();
    await k
      .insertInto('users')
      .values([
        { id: dana, public: JSON.stringify({ fn: 'Dana' }), created_at: now, updated_at: now },
        { id: eli, public: JSON.stringify({ fn: 'Eli' }), created_at: now, updated_at: now },
      ])
      .execute();
    await k
      .insertInto('auth')
      .values({ id: randomUUID(), user_id: dana, scheme: 'basic', secret: await hashPassword('hunter22'), uname: 'dana', created_at: now })
      .execute();
    await k.insertInto('conversations').values({ id: conv, type: 'dm', last_seq: 1, last_msg_at: now, created_at: now, updated_at: now }).execute();
    const [u1, u2] = [dana, eli].sort();
    await k.insertInto('dm_participants').values({ conversation_id: conv, user1_id: u1, user2_id: u2 }).execute();
    await k
      .insertInto('members')
      .values([dana, eli].map((u) => ({ conversation_id: conv, user_id: u, created_at: now, updated_at: now })))
      .execute();
    await k
      .insertInto('messages')
      .values({
        id: randomUUID(),
        conversation_id: conv,
        seq: 1,
        from_user_id: dana,
        created_at: now,
        updated_at: now,
        content: referenceEncrypt(encKey, text),
        head: JSON.stringify({ mentions: [{ userId: eli, username: 'Eli', offset: 4, length: 3 }] }),
      })
      .execute();
    await k.destroy();
  }
  const s = await startServer('postgres', { databaseUrl: db.url, tokenKey, encryptionKeys: [encKey] });
  try {
    const c = await s.connect();
    const login = await c.request('login', { scheme: 'basic', secret: basic('dana', 'hunter22') });
    assert.equal(login.code, 200);
    assert.equal(login.params.user, dana);
    const now = Math.floor(Date.now() / 1000);
    const referenceToken = await new SignJWT({ uid: eli })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('reference')
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(tokenKey);
    const e = await s.connect();
    assert.equal((await e.request('login', { scheme: 'token', secret: referenceToken })).params.user, eli);
    const history = await e.request('get', { what: 'messages', conv });
    assert.equal(history.code, 200);
    assert.equal(Buffer.from(history.params.messages[0].content, 'base64').toString('utf8'), text, 'reference content reads back byte for byte');
    const mentions = await e.request('get', { what: 'mentions' });
    assert.equal(mentions.params.mentions.length, 1, 'mentions written by the reference are indexed');
    // New messages still work in the taken-over conversation.
    assert.equal((await e.request('send', { conv, content: { v: 1, text: 'hi Dana' } })).params.seq, 2);
    c.close();
    e.close();
  } finally {
    await s.close();
    await db.drop();
  }
});
