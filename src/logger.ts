import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs; secrets never reach them (see redact paths and maskEmail). */
export function createLogger(level: string, nodeId: string): Logger {
  return pino({
    level,
    base: { node: nodeId },
    redact: { paths: ['secret', 'password', 'token', '*.secret', '*.password', '*.token'], censor: '[redacted]' },
  });
}

/** "dana@example.org" → "d***@e***.org": enough to correlate, not enough to identify. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const tld = dot > 0 ? domain.slice(dot) : '';
  return `${email[0]}***@${domain[0] ?? ''}***${tld}`;
}
