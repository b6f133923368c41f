import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Deps } from '../runtime/deps.js';
import { parseUuid } from '../content/uuid.js';
import { servesInline } from '../media/detect-type.js';
import { authenticateFileRequest } from './file-auth.js';
import type { FileStorage } from '../media/file-storage.js';
import { ifRangeHolds, notModified, parseRange, type Validators } from '../media/http-ranges.js';
import type { MediaProcessor } from '../media/media-processor.js';
import { receiveToTemp } from '../media/upload-receiver.js';
import { acceptUpload, cleanFileName } from '../media/upload-intake.js';

export interface FileRouteDeps {
  node: Deps;
  storage: FileStorage;
  processor: MediaProcessor;
}

// §1.1 note: also served under the WebSocket path, for SDKs that derive their HTTP base from it.
const PREFIXES = ['', '/v0/ws', '/v0/channels'];
// Room for multipart headers and small fields around the file itself.
const FORM_OVERHEAD = 1024 * 1024;
const CACHE_SECONDS = 3600;

/** PROTOCOL §9.2–§9.3 with the fixes of §12 items 9 and 10 (choices in docs/protocol-notes.md). */
export function registerFileRoutes(http: FastifyInstance, deps: FileRouteDeps): void {
  const { config } = deps.node;
  const limiter = config.uploadRate > 0 ? deps.node.limiters('upload', config.uploadRate, 60) : null;
  const limits: UploadLimits = { uploadMaxBytes: config.uploadMaxBytes, bodyIdleTimeout: config.bodyIdleTimeout };

  void http.register(async (app) => {
    // Only multipart bodies are read here, and only by the upload handler, as a stream.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    await app.register(multipart, {
      limits: { fileSize: config.uploadMaxBytes, files: 4, fields: 20, fieldSize: 64 * 1024, parts: 30, headerPairs: 50 },
    });
    for (const prefix of PREFIXES) {
      app.all(`${prefix}/v0/file/upload`, { config: { limits } }, (req, reply) =>
        req.method === 'POST' ? upload(deps, limiter, req, reply) : notAllowed(req, reply, 'POST, OPTIONS'),
      );
      app.all(`${prefix}/v0/file/:id`, { config: { limits } }, (req, reply) => download(deps, req, reply, false));
      app.all(`${prefix}/v0/file/:id/thumb`, { config: { limits } }, (req, reply) => download(deps, req, reply, true));
    }
  });
}

function text(reply: FastifyReply, status: number, body: string): FastifyReply {
  void reply.code(status).header('X-Content-Type-Options', 'nosniff').header('Cache-Control', 'no-store');
  return reply.type('text/plain; charset=utf-8').send(`${body}\n`);
}

function notAllowed(req: FastifyRequest, reply: FastifyReply, allow: string): FastifyReply | Promise<void> {
  return early(req, reply.header('Allow', allow), 405, 'method not allowed');
}

function unauthorized(reply: FastifyReply, reason: string): FastifyReply {
  const detail = reason === 'expired' ? ', error_description="token expired"' : '';
  return reply.header('WWW-Authenticate', `Bearer error="invalid_token"${detail}`);
}

/**
 * An answer given before the request body was read. It is sent at once, then
 * the rest of the body is read and dropped (up to what an upload may be, each
 * chunk within the idle timeout) before the connection is closed: closing
 * with unread bytes resets the connection, and a client still sending loses
 * the answer. A body declared larger than that bound is not read at all.
 */
async function early(req: FastifyRequest, reply: FastifyReply, status: number, body: string, drain = true): Promise<void> {
  const raw = req.raw;
  if (raw.complete) {
    text(reply, status, body);
    return;
  }
  const { uploadMaxBytes, bodyIdleTimeout } = (req.routeOptions.config as { limits?: UploadLimits }).limits ?? DEFAULT_LIMITS;
  const payload = Buffer.from(`${body}\n`);
  const headers: Record<string, string | number | string[]> = {};
  for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = v;
  reply.hijack();
  reply.raw.writeHead(status, {
    ...headers,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
    'content-type': 'text/plain; charset=utf-8',
    'content-length': payload.length,
    connection: 'close',
  });
  reply.raw.write(payload);
  const bound = uploadMaxBytes + FORM_OVERHEAD;
  const declared = Number(raw.headers['content-length']);
  if (drain && !(Number.isFinite(declared) && declared > bound)) await discardBody(raw, bound, bodyIdleTimeout * 1000);
  reply.raw.end();
}

/** Reads and drops the rest of a request body; settles at its end, past `limit` bytes, or after `idleMs` without a byte. */
function discardBody(raw: IncomingMessage, limit: number, idleMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (raw.complete || raw.destroyed) return resolve();
    let seen = 0;
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      raw.off('data', onData).off('end', done).off('close', done).off('error', done);
      resolve();
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(done, idleMs);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > limit) done();
      else arm();
    };
    // A form parser still attached would stop reading once it has nothing more to hand out.
    raw.unpipe();
    raw.on('data', onData).once('end', done).once('close', done).once('error', done);
    arm();
    raw.resume();
  });
}

/**
 * Resolves when the request body has stalled: no byte arrived for `idleMs`
 * while the body is still incomplete. Reads the socket's byte count, so the
 * body's stream is left alone.
 */
function watchBody(raw: IncomingMessage, idleMs: number): { stalled: Promise<'stalled'>; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<'stalled'>((resolve) => {
    let last = raw.socket.bytesRead;
    let since = Date.now();
    timer = setInterval(
      () => {
        if (raw.complete) return clearInterval(timer);
        const now = Date.now();
        if (raw.socket.bytesRead !== last) {
          last = raw.socket.bytesRead;
          since = now;
        } else if (now - since >= idleMs) {
          clearInterval(timer);
          resolve('stalled');
        }
      },
      Math.max(10, Math.min(1000, Math.floor(idleMs / 4))),
    );
  });
  return { stalled, stop: () => clearInterval(timer) };
}

interface UploadLimits {
  uploadMaxBytes: number;
  bodyIdleTimeout: number;
}
const DEFAULT_LIMITS: UploadLimits = { uploadMaxBytes: 8 * 1024 * 1024, bodyIdleTimeout: 30 };

type Received = { hash: string; size: number; name: string | undefined; truncated: boolean } | null;

/** Reads the form up to the part named `file`, streamed to `tempPath`; `current.file` is that part's stream while it is read. */
async function receiveForm(req: FastifyRequest, tempPath: string, current: { file?: Readable }): Promise<Received> {
  for await (const part of req.parts()) {
    if (part.type !== 'file') continue;
    if (part.fieldname !== 'file') {
      await drain(part.file);
      continue;
    }
    current.file = part.file;
    const { hash, size } = await receiveToTemp(part.file, tempPath);
    return { hash, size, name: part.filename, truncated: part.file.truncated };
  }
  return null;
}

async function upload(deps: FileRouteDeps, limiter: RateLimiterAbstract | null, req: FastifyRequest, reply: FastifyReply) {
  const { node: app } = deps;
  const max = app.config.uploadMaxBytes;
  const tooLarge = `file too large (limit ${max} bytes)`;
  // Early answers close the connection once the unread body has been read off it (see `early`).
  const auth = await authenticateFileRequest(app, req.headers.authorization, (req.query as Record<string, unknown>).token);
  if (!auth.ok) return early(req, unauthorized(reply, auth.reason), 401, 'unauthorized');
  if (limiter) {
    const allowed = await limiter.consume(auth.userId).then(
      () => null,
      (res: { msBeforeNext?: number }) => res,
    );
    if (allowed) return early(req, reply.header('Retry-After', String(Math.ceil((allowed.msBeforeNext ?? 60_000) / 1000))), 429, 'too many uploads');
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max + FORM_OVERHEAD) return early(req, reply, 413, tooLarge);
  if (!req.isMultipart()) return early(req, reply, 400, 'failed to parse form');

  const tempPath = deps.storage.tempPath();
  const watch = watchBody(req.raw, app.config.bodyIdleTimeout * 1000);
  const current: { file?: Readable } = {};
  const receiving = receiveForm(req, tempPath, current);
  let received: Received;
  try {
    const outcome = await Promise.race([receiving, watch.stalled]);
    if (outcome === 'stalled') {
      // Ending the part being read ends the receiving; the temp file goes once it has.
      current.file?.destroy(new Error('upload timed out'));
      void receiving.catch(() => null).finally(() => rm(tempPath, { force: true }));
      req.log.debug('upload body stalled');
      return early(req, reply, 408, 'upload timed out', false);
    }
    received = outcome;
  } catch (err) {
    await rm(tempPath, { force: true });
    if ((err as { statusCode?: number }).statusCode === 413) return early(req, reply, 413, tooLarge);
    req.log.debug({ err }, 'upload form rejected');
    return early(req, reply, 400, 'failed to parse form');
  } finally {
    watch.stop();
  }
  if (!received || received.truncated || received.size === 0) {
    await rm(tempPath, { force: true });
    if (!received) return early(req, reply, 400, 'missing file');
    return received.truncated ? early(req, reply, 413, tooLarge) : early(req, reply, 400, 'empty file');
  }

  const result = await acceptUpload(
    { files: app.stores.files, storage: deps.storage, processor: deps.processor, log: app.log },
    { uploaderId: auth.userId, tempPath, hash: received.hash, size: received.size, originalName: cleanFileName(received.name) },
  );
  await rm(tempPath, { force: true });
  if (!result.ok) return text(reply, result.status, result.text);
  // `deduplicated` stays in the reply for existing clients but is always false: shared storage is not revealed.
  const body = JSON.stringify({ id: result.id, mime: result.mime, size: result.size, deduplicated: false });
  return reply.code(201).header('Cache-Control', 'no-store').type('application/json').send(body);
}

async function drain(stream: Readable): Promise<void> {
  for await (const _ of stream);
}

async function download(deps: FileRouteDeps, req: FastifyRequest, reply: FastifyReply, thumb: boolean) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return notAllowed(req, reply, 'GET, HEAD, OPTIONS');
  const { node: app, storage } = deps;
  const { files } = app.stores;
  const id = parseUuid((req.params as { id: string }).id);
  if (!id) return text(reply, 400, 'invalid file id');
  const auth = await authenticateFileRequest(app, req.headers.authorization, (req.query as Record<string, unknown>).token);
  if (!auth.ok) return text(unauthorized(reply, auth.reason), 401, 'unauthorized');
  // Missing and not-yours answer the same, so ids cannot be probed.
  const file = await files.get(id);
  if (!file || !(await files.canRead(file, auth.userId))) return text(reply, 404, 'file not found');
  if (file.status === 'pending') return text(reply.header('Retry-After', '2'), 409, 'file not ready');
  if (file.status === 'failed') return text(reply, 410, 'file processing failed');

  const meta = thumb ? await files.metadata(id) : null;
  if (meta?.thumbnail) {
    const { bytes, mime } = meta.thumbnail;
    return serve(req, reply, { etag: `"${file.hash ?? file.id}-thumb"`, lastModified: file.createdAt }, { mime, size: bytes.length, name: null }, (r) =>
      r ? bytes.subarray(r.start, r.end + 1) : bytes,
    );
  }
  const stored = await storage.stat(file.location);
  if (!stored || stored.size !== file.size) {
    app.log.error({ file: file.id, location: file.location }, 'stored file is missing or has the wrong size');
    return text(reply, 404, 'file not found');
  }
  return serve(
    req,
    reply,
    { etag: `"${file.hash ?? file.id}"`, lastModified: file.createdAt },
    { mime: file.mime, size: file.size, name: file.originalName },
    (r) => storage.open(file.location, r ?? undefined),
  );
}

function serve(
  req: FastifyRequest,
  reply: FastifyReply,
  v: Validators,
  f: { mime: string; size: number; name: string | null },
  body: (range: { start: number; end: number } | null) => Buffer | Readable,
) {
  const lastModified = new Date(Math.floor(v.lastModified.getTime() / 1000) * 1000);
  void reply
    .header('ETag', v.etag)
    .header('Last-Modified', lastModified.toUTCString())
    .header('Cache-Control', `private, max-age=${CACHE_SECONDS}`)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Content-Security-Policy', "default-src 'none'; sandbox")
    .header('Accept-Ranges', 'bytes');
  if (notModified(req.headers, v)) return reply.code(304).send();

  const ifRange = req.headers['if-range'];
  const range = ifRangeHolds(typeof ifRange === 'string' ? ifRange : undefined, v) ? parseRange(req.headers.range, f.size) : null;
  if (range === 'unsatisfiable') return text(reply.header('Content-Range', `bytes */${f.size}`), 416, 'range not satisfiable');
  void reply.header('Content-Type', f.mime).header('Content-Disposition', disposition(servesInline(f.mime), f.name));
  if (range) void reply.code(206).header('Content-Range', `bytes ${range.start}-${range.end}/${f.size}`);
  void reply.header('Content-Length', String(range ? range.end - range.start + 1 : f.size));
  if (req.method === 'HEAD') return reply.send();
  return reply.send(body(range));
}

function disposition(inline: boolean, name: string | null): string {
  const kind = inline ? 'inline' : 'attachment';
  if (!name) return kind;
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeRfc5987(name)}`;
}

function encodeRfc5987(s: string): string {
  return encodeURIComponent(s).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
