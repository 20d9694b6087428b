import { createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { type CryptoKey, exportPKCS8, generateKeyPair, importPKCS8 } from 'jose';
import { readOrCreateSecretFile } from '../config/embedded-secret';
import { ConfigError } from '../errors/config-error';
import { importPublicKey, importPublicKeys, SIGNING_ALGORITHM, thumbprint } from './public-keys';

export { SIGNING_ALGORITHM };

/**
 * The key material a process holds. `privateKey` is present only where tokens are issued: the auth
 * functions get it, every other function verifies with the public key alone. Loaded once per
 * process and never swapped, which AccessTokens' cache of verified tokens relies on: rotating the
 * key means restarting the process.
 */
export interface SigningKeys {
  /**
   * Every public key a token may be signed with, by `kid` (its RFC 7638 thumbprint): the signing
   * key's, and during a rotation the one before or after it (JWT_PUBLIC_KEY may hold several).
   */
  readonly verificationKeys: ReadonlyMap<string, CryptoKey>;
  readonly privateKey?: CryptoKey;
  /**
   * RFC 7638 JWK thumbprint of the signing key's public half, carried as the JWT `kid`; with no
   * private key, the first key of JWT_PUBLIC_KEY.
   */
  readonly keyId: string;
}

export interface LoadSigningKeysOptions {
  /** JWT_PRIVATE_KEY: PKCS#8 PEM. */
  privateKeyPem?: string;
  /** JWT_PUBLIC_KEY: one SPKI PEM, or several one after another while keys are rotated. */
  publicKeyPem?: string;
  /** DATA_DIR: where embedded mode keeps its generated key. */
  dataDir: string;
  /** True for processes that issue tokens; they fail at start-up rather than at the first login. */
  needPrivateKey: boolean;
}

/** Where embedded mode persists its generated private key, relative to DATA_DIR. */
export const EMBEDDED_KEY_FILE = join('keys', 'jwt-ed25519.pem');

/**
 * Loads the access-token keys from configuration, or — when neither JWT_PRIVATE_KEY nor
 * JWT_PUBLIC_KEY is set (embedded mode) — from a key pair generated once under DATA_DIR, so tokens
 * survive restarts and every process sharing DATA_DIR agrees. Throws ConfigError for anything an
 * operator must fix.
 */
export async function loadSigningKeys(options: LoadSigningKeysOptions): Promise<SigningKeys> {
  const { publicKeyPem, needPrivateKey } = options;
  let privateKeyPem = options.privateKeyPem;
  let privateKeySource = 'JWT_PRIVATE_KEY';
  if (privateKeyPem === undefined && publicKeyPem === undefined) {
    const path = join(options.dataDir, EMBEDDED_KEY_FILE);
    privateKeyPem = await readOrCreateEmbeddedKey(path);
    privateKeySource = `DATA_DIR: ${path}`;
  }

  const given = publicKeyPem === undefined ? [] : await importPublicKeys(publicKeyPem);
  if (privateKeyPem === undefined) {
    if (needPrivateKey) {
      throw new ConfigError('JWT_PRIVATE_KEY: required to issue tokens (only JWT_PUBLIC_KEY is set)');
    }
    const [first] = given;
    if (!first) throw new ConfigError('JWT_PUBLIC_KEY: holds no public key');
    return { verificationKeys: new Map(given), keyId: first[0] };
  }

  const privateKey = await importPrivateKey(privateKeyPem, privateKeySource);
  // The private key stays non-extractable; the public half is derived from the PEM instead.
  const derivedPublicKey = await importPublicKey(publicPemOf(privateKeyPem), privateKeySource);
  const keyId = await thumbprint(derivedPublicKey);
  if (given.length > 0 && !given.some(([kid]) => kid === keyId)) {
    throw new ConfigError('JWT_PUBLIC_KEY: does not include the public key of JWT_PRIVATE_KEY');
  }
  const verificationKeys = new Map([[keyId, derivedPublicKey], ...given]);
  return needPrivateKey ? { verificationKeys, privateKey, keyId } : { verificationKeys, keyId };
}

async function readOrCreateEmbeddedKey(path: string): Promise<string> {
  try {
    const pem = await readOrCreateSecretFile(path, async () => {
      const { privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
      return exportPKCS8(privateKey);
    });
    return pem.toString('utf8');
  } catch (error) {
    throw unreadable(path, error);
  }
}

function unreadable(path: string, error: unknown): ConfigError {
  return new ConfigError(
    `DATA_DIR: cannot read or create the signing key ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
  );
}

async function importPrivateKey(pem: string, source: string): Promise<CryptoKey> {
  try {
    return await importPKCS8(pem, SIGNING_ALGORITHM);
  } catch {
    throw new ConfigError(`${source}: must be an Ed25519 private key in PKCS#8 PEM form`);
  }
}

function publicPemOf(privateKeyPem: string): string {
  return createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
}
