import type { MailMessage } from './mailer.js';

export const PRODUCT_NAME = 'mvchat';
const MAX_DISPLAY_NAME_CHARS = 100;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A display name safe for a subject line: a string `public.fn`, control
 * characters turned into spaces, bounded; "Someone" when there is none.
 */
export function displayName(pub: unknown): string {
  const fn = pub !== null && typeof pub === 'object' && !Array.isArray(pub) ? (pub as Record<string, unknown>).fn : undefined;
  if (typeof fn !== 'string') return 'Someone';
  const clean = [...fn.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ').trim()].slice(0, MAX_DISPLAY_NAME_CHARS).join('');
  return clean === '' ? 'Someone' : clean;
}

/** Where an invitee can sign up with `code`. */
export function inviteLink(baseUrl: string, code: string): string {
  return `${baseUrl}/?invite=${encodeURIComponent(code)}`;
}

export function verificationLink(baseUrl: string, token: string): string {
  return `${baseUrl}/verify-email?token=${encodeURIComponent(token)}`;
}

function page(body: string): string {
  return `<!doctype html>\n<html><body style="font-family:sans-serif;line-height:1.5">\n${body}\n</body></html>\n`;
}

/** The invite mail (PROTOCOL §5.12): inviter, greeting, code and a link to sign up. */
export function inviteMail(p: { to: string; inviterName: string; inviteeName: string | null; code: string; link: string }): MailMessage {
  const greeting = p.inviteeName ? `Hi ${p.inviteeName},` : 'Hi,';
  const text = [
    greeting,
    '',
    `${p.inviterName} invited you to chat on ${PRODUCT_NAME}.`,
    '',
    `Your invite code: ${p.code}`,
    '',
    `Sign up here: ${p.link}`,
    '',
    'The code is valid for 7 days. If you did not expect this invitation, you can ignore this mail.',
    '',
  ].join('\n');
  const html = page(
    [
      `<p>${escapeHtml(greeting)}</p>`,
      `<p><strong>${escapeHtml(p.inviterName)}</strong> invited you to chat on ${PRODUCT_NAME}.</p>`,
      `<p>Your invite code: <code style="font-size:1.3em">${escapeHtml(p.code)}</code></p>`,
      `<p><a href="${escapeHtml(p.link)}">Join ${PRODUCT_NAME}</a></p>`,
      '<p style="color:#666">The code is valid for 7 days. If you did not expect this invitation, you can ignore this mail.</p>',
    ].join('\n'),
  );
  return { to: p.to, subject: `${p.inviterName} invited you to chat on ${PRODUCT_NAME}`, text, html };
}

/** The verification mail (PROTOCOL §5.14). */
export function verificationMail(p: { to: string; link: string; expiryHours: number }): MailMessage {
  const ignore = 'If you did not add this address to an account, ignore this mail: nothing changes unless the link is opened.';
  const text = [
    'Please confirm your email address by opening this link:',
    '',
    p.link,
    '',
    `The link is valid for ${p.expiryHours} hours.`,
    '',
    ignore,
    '',
  ].join('\n');
  const html = page(
    [
      '<p>Please confirm your email address.</p>',
      `<p><a href="${escapeHtml(p.link)}">Verify your email address</a></p>`,
      `<p style="color:#666">The link is valid for ${p.expiryHours} hours.</p>`,
      `<p style="color:#666">${escapeHtml(ignore)}</p>`,
    ].join('\n'),
  );
  return { to: p.to, subject: 'Verify your email address', text, html };
}
