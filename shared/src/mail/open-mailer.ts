import type { Config } from '../config/env';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { LogMailer } from './log-mailer';
import type { Mailer } from './mailer';
import { SmtpMailer } from './smtp-mailer';

/** SMTP when SMTP_URL is configured, otherwise the log (embedded mode, SPEC §4). */
export function openMailer(
  config: Pick<Config, 'SMTP_URL' | 'MAIL_FROM'>,
  { logger, metrics }: { logger: Logger; metrics: Metrics },
): Mailer {
  if (config.SMTP_URL === undefined) return new LogMailer({ logger, metrics });
  return new SmtpMailer({ url: config.SMTP_URL, from: config.MAIL_FROM, logger, metrics });
}
