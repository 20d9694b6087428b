import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { Mailer, OutgoingEmail } from './mailer';

/**
 * Embedded mode's mailer (SPEC §4): nothing is sent, the whole message is logged at info instead.
 * This is the one place a token deliberately reaches the log — it is how a developer running
 * locally gets the verification or reset link — and it is never used when SMTP_URL is set.
 */
export class LogMailer implements Mailer {
  readonly #logger: Logger;
  readonly #metrics: Metrics;

  constructor({ logger, metrics }: { logger: Logger; metrics: Metrics }) {
    this.#logger = logger;
    this.#metrics = metrics;
  }

  async send({ to, subject, text, template }: OutgoingEmail): Promise<void> {
    // Nested under `email` with the body as `text`: the redaction paths (`token`, `*.token`) leave it readable.
    this.#logger.info(
      { email: { template, to, subject, text } },
      'email logged, not sent (SMTP_URL is unset)',
    );
    this.#metrics.emailsSentTotal.inc({ template, outcome: 'logged' });
  }

  async close(): Promise<void> {}
}
