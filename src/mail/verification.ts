import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import type { Mailer } from './mailer.js';
import { verificationLink, verificationMail } from './templates.js';

/** 32 random bytes as URL-safe base64 with padding: 44 characters (PROTOCOL §3.3.1 step 12). */
export function newVerificationToken(expiryHours: number, now = new Date()): { token: string; expires: Date } {
  const token = randomBytes(32).toString('base64url') + '=';
  return { token, expires: new Date(now.getTime() + expiryHours * 3600_000) };
}

/** Queues the verification mail for `email` of account `owner` (background; never delays the caller). */
export function sendVerificationMail(
  mailer: Mailer,
  config: Pick<Config, 'publicBaseUrl' | 'verificationExpiryHours'>,
  email: string,
  token: string,
  owner?: string,
): void {
  mailer.send(
    'verification',
    verificationMail({
      to: email,
      link: verificationLink(config.publicBaseUrl, token),
      expiryHours: config.verificationExpiryHours,
    }),
    owner,
  );
}
