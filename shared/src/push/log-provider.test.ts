import { describe, expect, it } from 'vitest';
import { capturingLogger } from '../testing/push-outcomes';
import { LogPushProvider } from './log-provider';

describe('log provider (embedded mode)', () => {
  it('logs the notification with only the last six characters of the token, and answers sent', async () => {
    const { logger, lines } = capturingLogger();
    const token = 'fcm-registration-token-that-is-a-credential-9f8e7d';
    const provider = new LogPushProvider({ platform: 'fcm', logger });
    const result = await provider.send({
      token,
      title: 'Ana',
      body: 'the private preview',
      data: { kind: 'message', conversationId: 'c-1' },
      urgent: false,
      collapseKey: 'c-1',
    });
    expect(result).toBe('sent');
    expect(provider.name).toBe('log');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      msg: expect.stringMatching(
        /^push \(embedded\): fcm notification logged, not sent \(FCM_SERVICE_ACCOUNT is unset\)$/,
      ),
      push: {
        platform: 'fcm',
        device: '…9f8e7d',
        title: 'Ana',
        hasBody: true,
        data: { kind: 'message', conversationId: 'c-1' },
        urgent: false,
        collapseKey: 'c-1',
      },
    });
    const written = JSON.stringify(lines);
    expect(written).not.toContain(token.slice(-7));
    expect(written).not.toContain('the private preview');
  });

  it('says when there was no body, and names APNS_KEY for APNs', async () => {
    const { logger, lines } = capturingLogger();
    await new LogPushProvider({ platform: 'apns', logger }).send({
      token: `${'a'.repeat(58)}b1c2d3`,
      title: 'Incoming call',
      data: { kind: 'call' },
      urgent: true,
    });
    expect(lines[0]).toMatchObject({
      msg: expect.stringContaining('(APNS_KEY is unset)'),
      push: { platform: 'apns', device: '…b1c2d3', hasBody: false, urgent: true },
    });
  });
});
