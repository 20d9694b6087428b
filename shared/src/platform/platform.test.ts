import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/env';
import { capturingPlatform } from '../testing/platform';

describe('Platform.start in production', () => {
  it.each([
    [['sql'], 'DATABASE_URL'],
    [['kv'], 'REDIS_URL'],
    [['mail'], 'SMTP_URL'],
    [['signing-key'], 'JWT_PRIVATE_KEY'],
    [['verify-key'], 'JWT_PUBLIC_KEY'],
    [['blobs'], 'S3_BUCKET'],
  ] as const)(
    'refuses to fall back to an embedded store for %o and names %s',
    async (dependencies, variable) => {
      const { platform } = capturingPlatform({ NODE_ENV: 'production' });
      const started = platform.start([...dependencies]);
      await expect(started).rejects.toBeInstanceOf(ConfigError);
      await expect(started).rejects.toThrow(new RegExp(`^${variable}: required when NODE_ENV=production`));
    },
  );

  it('starts embedded stores outside production', async () => {
    const { platform } = capturingPlatform({ NODE_ENV: 'development' });
    await platform.start(['kv']);
    expect((await platform.readiness(['kv'])).status).toBe('ok');
    await platform.close();
  });
});
