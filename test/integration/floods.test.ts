import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';

test('floods of typing, receipts and reactions are capped; the other member stays served (DEFECTS 2)', async () => {
  const s = await startServer('sqlite', { frameRate: 400 });
  try {
    const a = await s.user('flooder');
    const b = await s.user('victim');
    const conv = (await a.client.request('dm', { user: b.id })).params.conv;
    const seq = (await a.client.request('send', { conv, content: { v: 1, text: 'x' } })).params.seq;

    // Typing: 100 frames in a burst reach the other member at most once per second.
    for (let i = 0; i < 100; i++) a.client.send({ typing: { conv } });
    const marker = await a.client.request('send', { conv, content: { v: 1, text: 'marker' } });
    await b.client.waitFor((f) => f.data?.seq === marker.params.seq);
    const typings = b.client.frames.filter((f) => f.info?.what === 'typing').length;
    assert.ok(typings >= 1 && typings <= 2, `typing delivered ${typings} times`);

    // Receipts: a burst past the per-conversation cap is refused with 429 and the request id.
    const reads = await Promise.all(Array.from({ length: 40 }, () => a.client.request('read', { conv, seq })));
    const refused = reads.filter((r) => r.code === 429);
    assert.ok(refused.length > 0 && refused.every((r) => r.text === 'rate limited' && r.id), 'receipts over the cap get 429 with ids');

    // Reactions and plain ops: the session bucket answers 429 with ids.
    const many = await Promise.all(Array.from({ length: 600 }, () => a.client.request('react', { conv, seq, emoji: '👍' })));
    assert.ok(many.some((r) => r.code === 429 && r.id));
    // The other member is served normally throughout.
    for (let i = 0; i < 5; i++) assert.equal((await b.client.request('get', { what: 'conversation', conv })).code, 200);
    a.client.close();
    b.client.close();
  } finally {
    await s.close();
  }
});

test('/metrics reports sessions, online users, frames by op, errors by code', async () => {
  const s = await startServer();
  try {
    const u = await s.user('metric1');
    await u.client.request('get', { what: 'nope' });
    const text = await (await fetch(`${s.httpUrl}/metrics`)).text();
    assert.match(text, /^mvchat_sessions 1$/m);
    assert.match(text, /^mvchat_online_users 1$/m);
    assert.match(text, /^mvchat_frames_in_total\{op="acc"\} 1$/m);
    assert.match(text, /^mvchat_errors_total\{code="400"\} 1$/m);
    assert.match(text, /^mvchat_frames_out_total [1-9]/m);
    for (const name of ['mvchat_bus_publish_seconds', 'mvchat_backend_errors_total', 'mvchat_slow_consumer_closes_total']) assert.ok(text.includes(name), name);
    u.client.close();
  } finally {
    await s.close();
  }
});
