import { type AddressInfo, createServer, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProblemError } from '../errors/problem';
import { createLogger } from '../observability/logger';
import { Metrics } from '../observability/metrics';
import { type SmtpCapture, startSmtpCapture } from '../testing/smtp';
import { LogMailer } from './log-mailer';
import type { Mailer } from './mailer';
import { openMailer } from './open-mailer';
import { SmtpMailer } from './smtp-mailer';
import { verificationEmail, verificationLink } from './templates';

const FROM = 'SecureConnect <no-reply@example.test>';

function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'info',
    service: 'test',
    destination: { write: (line: string) => lines.push(JSON.parse(line)) },
  });
  return { logger, lines };
}

async function sentCount(metrics: Metrics, template: string, outcome: string): Promise<number> {
  const { values } = await metrics.emailsSentTotal.get();
  return values.find((v) => v.labels.template === template && v.labels.outcome === outcome)?.value ?? 0;
}

/** A TCP server that accepts connections and never says a word, like a wedged relay. */
async function silentServer() {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port that was free a moment ago: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('SmtpMailer', () => {
  let smtp: SmtpCapture;
  let mailer: Mailer | undefined;
  beforeEach(async () => {
    smtp = await startSmtpCapture();
  });
  afterEach(async () => {
    await mailer?.close();
    mailer = undefined;
    await smtp.close();
  });

  it('delivers a verification email over real SMTP', async () => {
    const metrics = new Metrics();
    mailer = new SmtpMailer({ url: smtp.url, from: FROM, metrics, logger: capturedLogger().logger });
    const token = 'dGhpcy1pcy1hLXRlc3QtdG9rZW4tMzItYnl0ZXMtbG9uZw';
    const content = verificationEmail({
      displayName: 'Zoë <Admin>',
      link: verificationLink('http://localhost:8080', token),
      token,
    });

    await mailer.send({ to: 'zoe@example.test', template: 'verify-email', ...content });

    const mail = await smtp.waitFor((m) => m.to.includes('zoe@example.test'));
    expect(mail.from).toBe('no-reply@example.test');
    expect(mail.subject).toBe('Confirm your email address');
    expect(mail.text).toBe(content.text);
    expect(mail.text.split('\n')).toContain(token);
    expect(mail.html).toContain('Hi Zoë &lt;Admin&gt;,');
    expect(await sentCount(metrics, 'verify-email', 'sent')).toBe(1);
  });

  it('sends with credentials in SMTP_URL and a non-ASCII subject', async () => {
    mailer = new SmtpMailer({
      url: smtp.url.replace('smtp://', 'smtp://user:secret@'),
      from: FROM,
      metrics: new Metrics(),
      logger: capturedLogger().logger,
    });
    await mailer.send({ to: 'a@example.test', subject: 'Héllo wörld', text: 'body', template: 't' });
    expect((await smtp.waitFor(() => true)).subject).toBe('Héllo wörld');
  });

  it('answers 503 quickly when the relay is down, and counts the failure', async () => {
    const metrics = new Metrics();
    const { logger, lines } = capturedLogger();
    mailer = new SmtpMailer({ url: `smtp://127.0.0.1:${await closedPort()}`, from: FROM, metrics, logger });
    const started = Date.now();

    const error = await mailer
      .send({ to: 'a@example.test', subject: 's', text: 't', template: 'verify-email' })
      .catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).status).toBe(503);
    expect((error as ProblemError).message).toBe('Email delivery is unavailable; retry shortly.');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await sentCount(metrics, 'verify-email', 'failed')).toBe(1);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'warn', template: 'verify-email', code: 'ESOCKET' }),
    );
  });

  it('gives up on a relay that never greets within the configured timeout', async () => {
    const relay = await silentServer();
    const metrics = new Metrics();
    mailer = new SmtpMailer({
      url: `smtp://127.0.0.1:${relay.port}`,
      from: FROM,
      metrics,
      logger: capturedLogger().logger,
      timeoutMs: 200,
    });
    try {
      await expect(
        mailer.send({ to: 'a@example.test', subject: 's', text: 't', template: 'password-reset' }),
      ).rejects.toMatchObject({ status: 503 });
      expect(await sentCount(metrics, 'password-reset', 'failed')).toBe(1);
    } finally {
      await relay.close();
    }
  });
});

describe('LogMailer', () => {
  it('logs the whole message at info, token included, and counts it', async () => {
    const metrics = new Metrics();
    const { logger, lines } = capturedLogger();
    const mailer = new LogMailer({ logger, metrics });
    const token = 'local-dev-token';
    const content = verificationEmail({
      displayName: 'Ada',
      link: verificationLink('http://localhost:8080', token),
      token,
    });

    await mailer.send({ to: 'ada@example.test', template: 'verify-email', ...content });

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      email: {
        to: 'ada@example.test',
        subject: content.subject,
        template: 'verify-email',
        text: content.text,
      },
    });
    expect(JSON.stringify(lines[0])).toContain('http://localhost:8080/verify-email?token=local-dev-token');
    expect(await sentCount(metrics, 'verify-email', 'logged')).toBe(1);
  });
});

describe('openMailer', () => {
  it('chooses SMTP when SMTP_URL is set and the log otherwise', async () => {
    const deps = { logger: capturedLogger().logger, metrics: new Metrics() };
    const logMailer = openMailer({ MAIL_FROM: FROM, SMTP_URL: undefined }, deps);
    const smtpMailer = openMailer({ MAIL_FROM: FROM, SMTP_URL: 'smtp://127.0.0.1:1' }, deps);
    expect(logMailer).toBeInstanceOf(LogMailer);
    expect(smtpMailer).toBeInstanceOf(SmtpMailer);
    await Promise.all([logMailer.close(), smtpMailer.close()]);
  });
});
