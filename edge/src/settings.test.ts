import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadEdgeSettings } from './settings';

const JWT_PUBLIC_KEY = generateKeyPairSync('ed25519')
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString();
const minimal = { UPSTREAM_URL: 'http://127.0.0.1:8080', JWT_PUBLIC_KEY };

describe('edge settings', () => {
  it('fills in the defaults', () => {
    expect(loadEdgeSettings(minimal)).toMatchObject({
      UPSTREAM_KIND: 'router',
      EDGE_RATE_LIMIT_IP: { points: 600, durationSeconds: 60 },
      BODY_LIMIT_BYTES: 1024 * 1024,
      CLIENT_IP_HEADER: 'cf-connecting-ip',
    });
  });

  it.each([
    [{ JWT_PUBLIC_KEY }, 'UPSTREAM_URL: is required'],
    [
      { ...minimal, UPSTREAM_URL: 'ftp://origin' },
      'UPSTREAM_URL: must use http:// or https:// (got "ftp://origin")',
    ],
    [{ UPSTREAM_URL: minimal.UPSTREAM_URL }, 'JWT_PUBLIC_KEY: is required'],
    [{ ...minimal, EDGE_RATE_LIMIT_USER: 'lots' }, 'EDGE_RATE_LIMIT_USER: must look like points/seconds'],
    [
      { ...minimal, UPSTASH_REDIS_REST_URL: 'https://example.upstash.io' },
      'UPSTASH_REDIS_REST_TOKEN: UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN go together',
    ],
    [{ ...minimal, UPSTREAM_KIND: 'lambda' }, 'UPSTREAM_KIND: must be router or openfaas'],
  ])('refuses %o with one line naming the binding', (bindings, message) => {
    expect(() => loadEdgeSettings(bindings)).toThrow(message);
  });

  it('never echoes a secret binding', () => {
    expect(() =>
      loadEdgeSettings({
        ...minimal,
        UPSTASH_REDIS_REST_URL: 'https://x.upstash.io',
        UPSTASH_REDIS_REST_TOKEN: '',
      }),
    ).toThrow(/^UPSTASH_REDIS_REST_TOKEN: [^"]*$/);
  });
});
