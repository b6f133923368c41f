import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkContent, graphemeLength, plainText, preview, type ContentCheck } from '../../src/content/irido.js';

const DANA = '3f1c2b7e-8a41-4d8e-9b0c-5e2f7a6d1c90';
const ELI = '9a7e4c21-0b3d-4f55-8e16-2c4d6b8a0f13';
const FILE1 = 'c0ffee00-1234-4abc-8def-0123456789ab';
const FILE2 = 'deadbeef-0000-4000-8000-000000000001';

function ok(content: unknown): Extract<ContentCheck, { ok: true }> {
  const r = checkContent(content);
  assert.ok(r.ok, `expected ok, got ${JSON.stringify(r)}`);
  return r;
}

function bad(content: unknown, fragment: string): void {
  const r = checkContent(content);
  assert.equal(r.ok, false, `expected failure for ${JSON.stringify(content)}`);
  if (!r.ok) {
    assert.ok(r.error.startsWith('invalid content: '), r.error);
    assert.ok(r.error.includes(fragment), `"${r.error}" should mention "${fragment}"`);
  }
}

// --- SDK-shaped content ---------------------------------------------------

test('accepts plain SDK text', () => {
  assert.deepEqual(ok({ v: 1, text: 'Hi' }), { ok: true, mentions: [], fileRefs: [] });
});

test('accepts SDK media message with thumb and without text', () => {
  const r = ok({
    v: 1,
    media: [
      { type: 'image', ref: FILE1, name: 'cat.jpg', mime: 'image/jpeg', size: 12345, width: 640, height: 480, thumb: 'AAAA' },
      { type: 'audio', ref: FILE2, name: 'a.ogg', mime: 'audio/ogg', size: 0, duration: 3.25 },
      { type: 'embed', embed: { url: 'https://example.com', title: 'Ex', embedType: 'article' } },
    ],
  });
  assert.deepEqual(r.fileRefs, [FILE1, FILE2]);
  assert.deepEqual(r.mentions, []);
});

test('accepts text with media and an empty mentions array', () => {
  ok({ v: 1, text: 'look', media: [{ type: 'file', ref: FILE1 }], mentions: [] });
  ok({ v: 1, media: [{ type: 'video', ref: FILE1 }], mentions: [] });
});

test('accepts the spec example mention next to an emoji with skin tone', () => {
  const mention = { userId: DANA, username: 'Dana', offset: 4, length: 4 };
  const r = ok({ v: 1, text: 'Hey Dana 👋🏽', mentions: [mention] });
  assert.deepEqual(r.mentions, [mention]);
});

test('accepts a mention ending exactly at the last grapheme', () => {
  // "Hey Dana 👋🏽" is 10 graphemes; the emoji is grapheme 9.
  ok({ v: 1, text: 'Hey Dana 👋🏽', mentions: [{ userId: DANA, offset: 9, length: 1 }] });
  ok({ v: 1, text: 'Hey Dana 👋🏽', mentions: [{ userId: DANA, offset: 4, length: 6 }] });
  ok({ v: 1, text: 'Hey Dana 👋🏽', mentions: [{ userId: DANA, offset: 10, length: 0 }] });
  ok({ v: 1, text: '👨‍👩‍👧‍👦 @Eli', mentions: [{ userId: ELI, username: 'Eli', offset: 2, length: 4 }] });
});

test('rejects a mention one grapheme past the end (UTF-16 counting would pass)', () => {
  bad({ v: 1, text: 'Hey Dana 👋🏽', mentions: [{ userId: DANA, offset: 9, length: 2 }] }, 'outside the text');
  bad({ v: 1, text: 'Hey Dana 👋🏽', mentions: [{ userId: DANA, offset: 11 }] }, 'outside the text');
});

test('accepts a reply object and ignores unknown keys', () => {
  ok({ v: 1, text: 'x', reply: { seq: 3, preview: 'earlier', from: ELI }, extra: { a: 1 }, Whatever: [1] });
  ok({ v: 1, text: 'x', reply: {} });
});

test('treats null optional fields as absent', () => {
  ok({ v: 1, text: 'x', media: null, mentions: null, reply: null });
  ok({ v: 1, text: null, media: [{ type: 'image', ref: null, size: null, embed: null }] });
  const r = ok({ v: 1, text: 'hello', mentions: [{ userId: DANA, username: null, offset: null, length: null }] });
  assert.deepEqual(r.mentions, [{ userId: DANA }]);
});

// --- string content ---------------------------------------------------------

test('accepts a plain non-empty string as {v:1,text}', () => {
  assert.deepEqual(checkContent('hello'), { ok: true, mentions: [], fileRefs: [] });
});

test('rejects an empty string', () => {
  bad('', 'text or media required');
});

// --- invalid cases ------------------------------------------------------------

test('rejects non-object content', () => {
  for (const c of [null, undefined, 1, true, [], [{ v: 1, text: 'x' }]]) bad(c, 'must be an object');
});

test('rejects a missing or wrong v', () => {
  for (const v of [undefined, 0, 2, '1', 1.5, null, true]) bad({ v, text: 'x' }, 'v must be 1');
  bad({ text: 'x' }, 'v must be 1');
});

test('rejects content without text or media', () => {
  bad({ v: 1 }, 'text or media required');
  bad({ v: 1, text: '' }, 'text or media required');
  bad({ v: 1, text: '', media: [] }, 'text or media required');
});

test('rejects wrongly typed text', () => {
  bad({ v: 1, text: 5 }, 'text must be a string');
  bad({ v: 1, text: ['a'], media: [{ type: 'file' }] }, 'text must be a string');
});

test('rejects text with lone surrogates', () => {
  bad({ v: 1, text: 'a\ud800b' }, 'text contains invalid characters');
  bad('x\udc00', 'text contains invalid characters');
});

test('rejects bad media', () => {
  bad({ v: 1, media: 'x' }, 'media must be an array');
  bad({ v: 1, media: {} }, 'media must be an array');
  bad({ v: 1, media: Array.from({ length: 11 }, () => ({ type: 'file' })) }, 'too many media');
  ok({ v: 1, media: Array.from({ length: 10 }, () => ({ type: 'file' })) });
  bad({ v: 1, media: [null] }, 'media[0] must be an object');
  bad({ v: 1, media: ['image'] }, 'media[0] must be an object');
  bad({ v: 1, media: [{}] }, 'media[0].type');
  bad({ v: 1, media: [{ type: 'sticker' }] }, 'media[0].type');
  bad({ v: 1, media: [{ type: 'IMAGE' }] }, 'media[0].type');
  bad({ v: 1, media: [{ type: 'image' }, { type: 'file', ref: 7 }] }, 'media[1].ref must be a string');
  for (const key of ['size', 'width', 'height']) {
    for (const v of [-1, 1.5, '10', Number.MAX_SAFE_INTEGER + 2]) {
      bad({ v: 1, media: [{ type: 'image', [key]: v }] }, `media[0].${key} must be a non-negative integer`);
    }
  }
  for (const v of [-0.5, '3', true]) {
    bad({ v: 1, media: [{ type: 'audio', duration: v }] }, 'media[0].duration must be a non-negative number');
  }
  bad({ v: 1, media: [{ type: 'embed', embed: {} }] }, 'media[0].embed.url must be a string');
  bad({ v: 1, media: [{ type: 'embed', embed: { url: 1 } }] }, 'media[0].embed.url must be a string');
  bad({ v: 1, media: [{ type: 'embed', embed: 'https://x' }] }, 'media[0].embed.url must be a string');
});

test('rejects bad mentions', () => {
  const text = 'hello world';
  bad({ v: 1, text, mentions: {} }, 'mentions must be an array');
  bad({ v: 1, text, mentions: [null] }, 'mentions[0] must be an object');
  bad({ v: 1, text, mentions: [{}] }, 'mentions[0].userId must be a UUID');
  bad({ v: 1, text, mentions: [{ userId: 'dana' }] }, 'mentions[0].userId must be a UUID');
  bad({ v: 1, text, mentions: [{ userId: 42 }] }, 'mentions[0].userId must be a UUID');
  bad({ v: 1, text, mentions: [{ userId: DANA, username: 3 }] }, 'mentions[0].username must be a string');
  bad({ v: 1, text, mentions: [{ userId: DANA, username: 'a\u0000b' }] }, 'invalid characters');
  bad({ v: 1, text, mentions: [{ userId: DANA, username: '\udc00' }] }, 'invalid characters');
  for (const v of [-1, 1.5, '1', true]) {
    bad({ v: 1, text, mentions: [{ userId: DANA, offset: v }] }, 'mentions[0].offset must be a non-negative integer');
    bad({ v: 1, text, mentions: [{ userId: DANA, length: v }] }, 'mentions[0].length must be a non-negative integer');
  }
  bad({ v: 1, text, mentions: [{ userId: DANA, offset: 6, length: 6 }] }, 'mentions[0] is outside the text');
  bad({ v: 1, text, mentions: [{ userId: DANA }, { userId: ELI, offset: 12 }] }, 'mentions[1] is outside the text');
  const many = Array.from({ length: 51 }, () => ({ userId: DANA }));
  bad({ v: 1, text, mentions: many }, 'too many mentions');
  assert.equal(ok({ v: 1, text, mentions: many.slice(0, 50) }).mentions.length, 50);
});

test('rejects mentions without text', () => {
  bad({ v: 1, media: [{ type: 'image' }], mentions: [{ userId: DANA }] }, 'mentions require text');
  bad({ v: 1, text: '', media: [{ type: 'image' }], mentions: [{ userId: DANA }] }, 'mentions require text');
});

test('rejects a bad reply', () => {
  bad({ v: 1, text: 'x', reply: 3 }, 'reply must be an object');
  bad({ v: 1, text: 'x', reply: [] }, 'reply must be an object');
  bad({ v: 1, text: 'x', reply: { seq: '3' } }, 'reply.seq must be an integer');
  bad({ v: 1, text: 'x', reply: { seq: 1.5 } }, 'reply.seq must be an integer');
  bad({ v: 1, text: 'x', reply: { preview: 1 } }, 'reply.preview must be a string');
  bad({ v: 1, text: 'x', reply: { from: {} } }, 'reply.from must be a string');
});

// --- normalisation ------------------------------------------------------------

test('normalises mentions for the stored head', () => {
  const r = ok({
    v: 1,
    text: 'hi @Dana and @Eli',
    mentions: [
      { userId: DANA.toUpperCase(), username: '', offset: 0, length: 0, extra: true },
      { userId: `{${ELI}}`, username: 'Eli', offset: 13, length: 4 },
      { userId: DANA.replaceAll('-', ''), offset: 3, length: 5 },
    ],
  });
  assert.deepEqual(r.mentions, [{ userId: DANA }, { userId: ELI, username: 'Eli', offset: 13, length: 4 }, { userId: DANA, offset: 3, length: 5 }]);
  assert.ok(!('username' in r.mentions[0]!));
  assert.ok(!('offset' in r.mentions[0]!));
  assert.ok(!('length' in r.mentions[0]!));
});

test('fileRefs are distinct canonical UUIDs from media refs only', () => {
  const r = ok({
    v: 1,
    text: FILE2,
    media: [
      { type: 'image', ref: FILE1.toUpperCase() },
      { type: 'image', ref: `urn:uuid:${FILE1}` },
      { type: 'file', ref: 'not-a-uuid' },
      { type: 'file', ref: '' },
      { type: 'file' },
      { type: 'video', ref: FILE2.replaceAll('-', '') },
      { type: 'embed', embed: { url: `https://x/${FILE1}` } },
    ],
  });
  assert.deepEqual(r.fileRefs, [FILE1, FILE2]);
});

// --- derived text ------------------------------------------------------------------

test('graphemeLength counts extended grapheme clusters', () => {
  assert.equal(graphemeLength(''), 0);
  assert.equal(graphemeLength('Hey Dana 👋🏽'), 10);
  assert.equal(graphemeLength('👨‍👩‍👧‍👦'), 1);
  assert.equal(graphemeLength('e\u0301'), 1);
  assert.equal(graphemeLength('🇫🇷🇩🇪'), 2);
});

test('plainText joins text and media tokens', () => {
  assert.equal(plainText({ v: 1, text: 'Hi' }), 'Hi');
  assert.equal(plainText('raw string'), 'raw string');
  assert.equal(
    plainText({
      v: 1,
      text: 'Look',
      media: [
        { type: 'image', name: 'cat.jpg' },
        { type: 'embed', embed: { url: 'https://e.x', title: 'Example' } },
        { type: 'embed', embed: { url: 'https://e.x' } },
        { type: 'file' },
        { type: 'sticker', name: 's' },
      ],
    }),
    "Look [IMAGE 'cat.jpg'] [LINK 'Example'] [LINK 'https://e.x'] [FILE 'attachment'] [STICKER 's']",
  );
  assert.equal(plainText({ v: 1, media: [{ type: 'audio', name: 'a.ogg' }] }), "[AUDIO 'a.ogg']");
  assert.equal(plainText({ v: 1, text: '  padded  ' }), 'padded');
  assert.equal(plainText(null), '');
  assert.equal(plainText(42), '');
});

test('preview cuts by graphemes and falls back to the first media token', () => {
  assert.equal(preview({ v: 1, text: 'Hey Dana 👋🏽' }, 10), 'Hey Dana 👋🏽');
  assert.equal(preview({ v: 1, text: 'Hey Dana 👋🏽' }, 9), 'Hey Dana …');
  assert.equal(preview({ v: 1, text: '👋🏽👋🏽👋🏽' }, 2), '👋🏽👋🏽…');
  assert.equal(preview('short', 50), 'short');
  assert.equal(preview({ v: 1, media: [{ type: 'video', name: 'v.mp4' }, { type: 'image' }] }, 5), "[VIDEO 'v.mp4']");
  assert.equal(preview({ v: 1 }, 5), '');
  assert.equal(preview({ v: 1, text: 'abc' }, 0), '…');
});
