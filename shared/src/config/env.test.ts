import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './env';

describe('loadConfig', () => {
  it('runs on embedded defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 8080,
      DATA_DIR: './.data',
      DATABASE_URL: undefined,
      REDIS_URL: undefined,
      SMTP_URL: undefined,
      RATE_LIMITS: true,
      ACCESS_TOKEN_TTL_SECONDS: 900,
      LOCKOUT_THRESHOLD: 5,
      LOCKOUT_SECONDS: 900,
      CORS_ORIGINS: [],
    });
    expect(config.RATE_LIMIT_LOGIN).toEqual({ points: 10, durationSeconds: 60 });
  });

  it('parses numbers, flags, lists and limits', () => {
    const config = loadConfig({
      PORT: '3000',
      RATE_LIMITS: 'off',
      CORS_ORIGINS: 'https://a.example, https://b.example',
      RATE_LIMIT_LOGIN: '3/30',
    });
    expect(config.PORT).toBe(3000);
    expect(config.RATE_LIMITS).toBe(false);
    expect(config.CORS_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
    expect(config.RATE_LIMIT_LOGIN).toEqual({ points: 3, durationSeconds: 30 });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT: must be a whole number (got "abc")'],
    [{ PORT: '70000' }, 'PORT: must be at most 65535 (got "70000")'],
    [{ ACCESS_TOKEN_TTL_SECONDS: '3600' }, 'ACCESS_TOKEN_TTL_SECONDS: must be at most 900 (got "3600")'],
    [{ RATE_LIMITS: 'maybe' }, 'RATE_LIMITS: must be on or off (got "maybe")'],
    [{ RATE_LIMIT_LOGIN: 'ten' }, 'RATE_LIMIT_LOGIN: must look like points/seconds, e.g. 10/60 (got "ten")'],
    [{ REDIS_URL: 'http://localhost' }, 'REDIS_URL: must use redis:// or rediss://'],
    [
      { S3_ACCESS_KEY_ID: 'AKIDEXAMPLE' },
      'S3_SECRET_ACCESS_KEY: must be set together with S3_ACCESS_KEY_ID (or both left unset for the default credential chain)',
    ],
    [
      { AI_BASE_URL: 'http://127.0.0.1:11434/v1', AI_TIMEOUT_MS: '10000' },
      'AI_TIMEOUT_MS: must be below REQUEST_TIMEOUT_MS (a slow AI server must end in a 503, not the 504 of the whole request) (got "10000")',
    ],
  ])('stops with one line naming the variable: %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(new ConfigError(message));
  });

  it('never echoes a secret value in its error', () => {
    try {
      loadConfig({ DATABASE_URL: 'mysql://admin:hunter2@db' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/^DATABASE_URL: /);
      expect((error as Error).message).not.toContain('hunter2');
    }
  });

  it('reads secrets from NAME_FILE, and NAME wins when both are set', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sc-config-'));
    const file = join(dir, 'database-url');
    writeFileSync(file, 'postgres://app:secret@db:5432/app\n');
    expect(loadConfig({ DATABASE_URL_FILE: file }).DATABASE_URL).toBe('postgres://app:secret@db:5432/app');
    expect(
      loadConfig({ DATABASE_URL_FILE: file, DATABASE_URL: 'postgres://direct@db/app' }).DATABASE_URL,
    ).toBe('postgres://direct@db/app');
    expect(() => loadConfig({ REDIS_URL_FILE: join(dir, 'missing') })).toThrow(
      /^REDIS_URL_FILE: cannot read .*missing \(ENOENT\)$/,
    );
  });

  it('treats an empty value as unset', () => {
    expect(loadConfig({ REDIS_URL: '' }).REDIS_URL).toBeUndefined();
  });
});
