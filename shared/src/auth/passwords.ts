import { type Algorithm, hash, type Options, verify } from '@node-rs/argon2';

// `Algorithm` is an ambient const enum, which isolatedModules forbids reading as a value.
const ARGON2ID: Algorithm.Argon2id = 2;

/**
 * argon2id with OWASP's first recommended configuration: m=19 MiB, t=2, p=1.
 * Source: OWASP Password Storage Cheat Sheet, "Argon2id"
 * (https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#argon2id).
 */
const ARGON2_OPTIONS: Options = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/**
 * A real hash, made with ARGON2_OPTIONS, of a random password nobody knows. Verifying against it
 * costs exactly what verifying a real user's hash costs. Regenerate it if the options change
 * (passwords.test.ts checks the parameters match).
 */
export const DUMMY_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$7AKNRjLSk2EUFv/eVudh2g$MXCT+frQLh/rBD6m6pqJRTGSQ6X7YCssu9kNWLL/e6s';

/** Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) with a fresh salt. */
export function hashPassword(plain: string): Promise<string> {
  return hash(plain, ARGON2_OPTIONS);
}

/** True when `plain` matches `hash`; false for a wrong password and for a malformed hash alike. */
export async function verifyPassword(hash: string, plain: string): Promise<boolean> {
  try {
    return await verify(hash, plain);
  } catch {
    return false;
  }
}

/**
 * Spends the time of one password check and always answers false. Login calls it when the email
 * is unknown, so the response time does not reveal which emails have accounts.
 */
export async function burnPasswordCheck(plain: string): Promise<false> {
  await verifyPassword(DUMMY_HASH, plain);
  return false;
}
