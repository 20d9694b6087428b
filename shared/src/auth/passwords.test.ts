import { describe, expect, it } from 'vitest';
import { burnPasswordCheck, DUMMY_HASH, hashPassword, verifyPassword } from './passwords';

const PARAMETERS = '$argon2id$v=19$m=19456,t=2,p=1$';

describe('passwords', () => {
  it('hashes with argon2id at the OWASP parameters, salted', async () => {
    const [a, b] = await Promise.all([hashPassword('correct horse'), hashPassword('correct horse')]);
    expect(a.startsWith(PARAMETERS)).toBe(true);
    expect(a).not.toBe(b);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(await verifyPassword(hash, 'correct horse battery staple')).toBe(true);
    expect(await verifyPassword(hash, 'correct horse battery stapler')).toBe(false);
  });

  it('answers false, never throws, for a malformed hash', async () => {
    for (const hash of ['', 'not a hash', '$argon2id$v=19$m=19456,t=2,p=1$broken', '$2b$10$abcdefghijk']) {
      expect(await verifyPassword(hash, 'anything')).toBe(false);
    }
  });

  it('burns a check against a dummy hash made with the same parameters', async () => {
    expect(DUMMY_HASH.startsWith(PARAMETERS)).toBe(true);
    expect(await burnPasswordCheck('whatever')).toBe(false);
  });
});
