import { createTransport, type Transporter } from 'nodemailer';
import { serviceUnavailable } from '../errors/problem';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { Mailer, OutgoingEmail } from './mailer';

export interface SmtpMailerOptions {
  /** SMTP_URL, e.g. `smtp://user:pass@mail.example.com:587`; nodemailer reads its query options too. */
  url: string;
  /** MAIL_FROM. */
  from: string;
  metrics: Metrics;
  logger: Logger;
  /** Bound on connecting, the server greeting and DNS; idle sockets get twice as long. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;

/**
 * Delivers email through an SMTP relay over pooled connections. Nodemailer's defaults wait minutes
 * on a dead relay; these timeouts turn that into a quick 503 the caller can report or retry.
 */
export class SmtpMailer implements Mailer {
  readonly #transport: Transporter;
  readonly #metrics: Metrics;
  readonly #logger: Logger;

  constructor({ url, from, metrics, logger, timeoutMs = DEFAULT_TIMEOUT_MS }: SmtpMailerOptions) {
    this.#transport = createTransport(
      {
        url,
        pool: true,
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        dnsTimeout: timeoutMs,
        socketTimeout: 2 * timeoutMs,
      },
      { from },
    );
    this.#metrics = metrics;
    this.#logger = logger;
  }

  async send({ to, subject, text, html, template }: OutgoingEmail): Promise<void> {
    try {
      await this.#transport.sendMail({ to, subject, text, ...(html === undefined ? {} : { html }) });
    } catch (error) {
      this.#metrics.emailsSentTotal.inc({ template, outcome: 'failed' });
      // Code and SMTP status only: the message text can quote the envelope back.
      const { code, responseCode } = error as { code?: string; responseCode?: number };
      this.#logger.warn({ template, code, responseCode }, 'email delivery failed');
      throw serviceUnavailable('Email delivery is unavailable; retry shortly.');
    }
    this.#metrics.emailsSentTotal.inc({ template, outcome: 'sent' });
  }

  async close(): Promise<void> {
    this.#transport.close();
  }
}
