import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { verifyPassword } from '../crypto/passwords.js';
import { accountExport } from '../domain/account-export.js';
import type { Deps } from '../runtime/deps.js';
import { clientAddressOf } from './client-address.js';
import { authenticateFileRequest } from './file-auth.js';

export interface ExportRouteDeps {
  node: Deps;
  /**
   * Called once her password was accepted, before the first byte of the
   * export is sent: the place where her other live sessions are told an
   * export was made (the `export` notice), so a stranger holding her phone
   * cannot take everything unseen.
   */
  onExport(userId: string): void;
}

// §1.1 note: also served under the WebSocket path, as the file routes are.
const PREFIXES = ['', '/v0/ws', '/v0/channels'];
/** `{"password":"..."}` and nothing much more. */
const BODY_LIMIT = 8 * 1024;
const MAX_PASSWORD_BYTES = 1024;

/** `POST /v0/account/export` (docs/protocol-notes.md, *Account export*). */
export function registerExportRoute(http: FastifyInstance, deps: ExportRouteDeps): void {
  const address = clientAddressOf(deps.node.config.trustProxy);
  void http.register(async (app) => {
    // The body is read as text whatever its type, so every refusal is this route's own answer.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));
    for (const prefix of PREFIXES) {
      app.all(`${prefix}/v0/account/export`, { bodyLimit: BODY_LIMIT }, (req, reply) =>
        req.method === 'POST' ? exportAccount(deps, address(req.raw), req, reply) : text(reply.header('Allow', 'POST, OPTIONS'), 405, 'method not allowed'),
      );
    }
  });
}

function text(reply: FastifyReply, status: number, body: string): FastifyReply {
  void reply.code(status).header('X-Content-Type-Options', 'nosniff').header('Cache-Control', 'no-store');
  return reply.type('text/plain; charset=utf-8').send(`${body}\n`);
}

/** The password of the body, or the refusal to answer. */
function passwordOf(req: FastifyRequest): { ok: true; password: string } | { ok: false; status: number; text: string } {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return { ok: false, status: 415, text: 'content type must be application/json' };
  if (typeof req.body !== 'string' || req.body.trim() === '') return { ok: false, status: 400, text: 'missing body' };
  let body: unknown;
  try {
    body = JSON.parse(req.body);
  } catch {
    return { ok: false, status: 400, text: 'invalid JSON' };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { ok: false, status: 400, text: 'body must be a JSON object' };
  const password = Object.hasOwn(body, 'password') ? (body as Record<string, unknown>).password : undefined;
  if (password === undefined) return { ok: false, status: 400, text: 'missing password' };
  if (typeof password !== 'string' || password === '') return { ok: false, status: 400, text: 'password must be a non-empty string' };
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) return { ok: false, status: 400, text: 'password too long' };
  return { ok: true, password };
}

async function exportAccount(deps: ExportRouteDeps, address: string, req: FastifyRequest, reply: FastifyReply) {
  const { node } = deps;
  // A token alone is not enough, but without a valid one nothing else is looked at.
  const auth = await authenticateFileRequest(node, req.headers.authorization, undefined);
  if (!auth.ok) {
    const detail = auth.reason === 'expired' ? ', error_description="token expired"' : '';
    return text(reply.header('WWW-Authenticate', `Bearer error="invalid_token"${detail}`), 401, 'unauthorized');
  }
  const body = passwordOf(req);
  if (!body.ok) return text(reply, body.status, body.text);

  const { accounts } = node.stores;
  const [user, credentials] = await Promise.all([accounts.getUser(auth.userId), accounts.findBasicAuthByUser(auth.userId)]);
  if (!user || !credentials) return text(reply, 403, 'incorrect password');
  // The login limiter, keyed by her login name: the export cannot be used to guess her password past the login budget.
  const throttleKey = credentials.username || auth.userId;
  if (!(await node.authThrottle.passwordCheckAllowed(throttleKey, address))) return text(reply.header('Retry-After', '60'), 429, 'too many attempts');
  if (!(await verifyPassword(body.password, credentials.secret))) return text(reply, 403, 'incorrect password');
  await node.authThrottle.passwordCorrect(throttleKey, address);

  deps.onExport(user.id);
  node.log.info({ user: user.id }, 'account export started');
  const stamp = new Date().toISOString().slice(0, 10);
  const pieces = accountExport(node, { user, login: credentials.username });
  const stream = Readable.from(logFailure(node, user.id, pieces), { objectMode: false });
  return reply
    .code(200)
    .header('Cache-Control', 'no-store')
    .header('X-Content-Type-Options', 'nosniff')
    .header('Content-Disposition', `attachment; filename="mvchat-export-${stamp}.json"`)
    .type('application/json; charset=utf-8')
    .send(stream);
}

/**
 * Passes the pieces on; a failure after the 200 was sent is logged and
 * rethrown, so the response is aborted (no final chunk: the client sees a
 * broken transfer, and the JSON lacks its `"complete": true`).
 */
async function* logFailure(node: Deps, userId: string, pieces: AsyncGenerator<string>): AsyncGenerator<string> {
  try {
    yield* pieces;
  } catch (err) {
    node.log.error({ err, user: userId }, 'account export failed part-way');
    throw err;
  }
}
