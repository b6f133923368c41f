import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTransport } from 'nodemailer';
import type { Config } from '../config.js';
import { maskEmail, type Logger } from '../logger.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface MailerDeps {
  config: Pick<Config, 'smtpUrl' | 'mailFrom' | 'dataDir'>;
  log: Logger;
  /** Runs a delivery in the background (the node's background tasks). */
  background(name: string, work: () => Promise<void>, timeoutMs: number): void;
  /** Called when a mail is given up on (counted by metrics). */
  failed(): void;
  /**
   * Whether the account a mail is queued for was deleted meanwhile: its mail
   * is then dropped before the next attempt, on whichever node queued it.
   */
  ownerGone?(userId: string): Promise<boolean>;
  /** Waits between attempts; one more attempt than entries. */
  retryDelaysMs?: readonly number[];
}

const DEFAULT_RETRY_DELAYS_MS = [500, 2000];

/**
 * Outgoing mail. With MVCHAT_SMTP_URL set it goes over SMTP; otherwise each
 * mail is written as an .eml file under <dataDir>/outbox/. Sending is always
 * in the background: `send` never waits and never throws; failures are
 * retried a bounded number of times, then logged and counted.
 */
export class Mailer {
  readonly outboxDir: string;
  readonly #smtp;
  readonly #stream;
  readonly #delays: readonly number[];

  constructor(private readonly deps: MailerDeps) {
    this.outboxDir = path.join(deps.config.dataDir, 'outbox');
    this.#delays = deps.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.#smtp = deps.config.smtpUrl
      ? createTransport({ url: deps.config.smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 })
      : null;
    this.#stream = createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  }

  /**
   * Queues `mail` for delivery; `kind` names it in logs ("invite",
   * "verification"); `owner` is the account it is sent for (dropped if that
   * account is deleted before it goes out).
   */
  send(kind: string, mail: MailMessage, owner?: string): void {
    this.deps.background(`mail:${kind}`, () => this.#deliver(kind, mail, owner), 120_000);
  }

  async #deliver(kind: string, mail: MailMessage, owner: string | undefined): Promise<void> {
    const to = maskEmail(mail.to);
    for (let attempt = 1; ; attempt++) {
      try {
        if (owner !== undefined && (await this.deps.ownerGone?.(owner))) {
          this.deps.log.info({ mail: kind, to }, 'mail dropped: account deleted');
          return;
        }
        const where = await this.#attempt(mail);
        this.deps.log.info({ mail: kind, to, ...where }, this.#smtp ? 'mail sent' : 'mail written to outbox');
        return;
      } catch (err) {
        const delay = this.#delays[attempt - 1];
        if (delay === undefined) {
          this.deps.failed();
          this.deps.log.error({ err: describe(err), mail: kind, to, attempts: attempt }, 'mail delivery failed');
          return;
        }
        this.deps.log.warn({ err: describe(err), mail: kind, to, attempt }, 'mail delivery failed; retrying');
        await sleep(delay);
      }
    }
  }

  async #attempt(mail: MailMessage): Promise<Record<string, string>> {
    const message = { from: this.deps.config.mailFrom, ...mail };
    if (this.#smtp) {
      const info = await this.#smtp.sendMail(message);
      return { messageId: info.messageId };
    }
    const info = await this.#stream.sendMail(message);
    await mkdir(this.outboxDir, { recursive: true, mode: 0o700 });
    const file = path.join(this.outboxDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}.eml`);
    await writeFile(file, info.message as Buffer, { mode: 0o600 });
    return { file };
  }

  close(): void {
    this.#smtp?.close();
    this.#stream.close();
  }
}

/** Transport errors can quote the SMTP dialogue; keep what identifies the failure, with addresses masked. */
function describe(err: unknown): { message: string; code?: string } {
  const mask = (s: string) => s.slice(0, 300).replace(/[^\s<>@:;,]+@[^\s<>@:;,]+/g, (m) => maskEmail(m));
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { message: mask(err.message), ...(typeof code === 'string' ? { code } : {}) };
  }
  return { message: mask(String(err)) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
