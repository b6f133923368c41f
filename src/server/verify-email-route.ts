import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from '../logger.js';
import type { EmailVerificationStore } from '../store/email-verification-store.js';

const VERIFIED_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Email verified</title></head>
<body style="font-family:sans-serif;text-align:center;padding-top:3em">
<h1>Email verified</h1>
<p>Your email address has been verified. You can close this window.</p>
</body></html>
`;

function plain(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply.code(status).type('text/plain; charset=utf-8').send(`${text}\n`);
}

/** GET /verify-email?token=... (PROTOCOL §1.5); every other method answers 405. */
export function registerVerifyEmailRoute(app: FastifyInstance, store: EmailVerificationStore, log: Logger): void {
  app.route({
    method: 'GET',
    url: '/verify-email',
    exposeHeadRoute: false,
    handler: async (req, reply) => {
      const raw = (req.query as Record<string, unknown>).token;
      const token = Array.isArray(raw) ? raw[0] : raw;
      if (typeof token !== 'string' || token === '') return plain(reply, 400, 'Missing verification token');
      // Tokens are 44 base64 characters; anything far longer, or with other characters (NUL, which PostgreSQL
      // refuses in text, lone surrogates, …), cannot match and is not worth a query.
      if (token.length > 256 || !/^[A-Za-z0-9+/_=-]+$/.test(token)) return plain(reply, 400, 'Invalid or expired verification link');
      try {
        if ((await store.verify(token)) === 'invalid') return plain(reply, 400, 'Invalid or expired verification link');
      } catch (err) {
        log.error({ err }, 'email verification failed');
        return plain(reply, 500, 'Verification failed');
      }
      return reply.code(200).type('text/html; charset=utf-8').send(VERIFIED_PAGE);
    },
  });
  app.route({
    method: ['HEAD', 'POST', 'PUT', 'DELETE', 'PATCH'],
    url: '/verify-email',
    // Answered before any body parsing, so an unparseable body still gets the 405.
    onRequest: async (_req, reply) => plain(reply.header('Allow', 'GET'), 405, 'Method not allowed'),
    handler: async (_req, reply) => plain(reply.header('Allow', 'GET'), 405, 'Method not allowed'),
  });
}
