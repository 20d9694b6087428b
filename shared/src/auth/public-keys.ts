/**
 * Access-token public keys from PEM text, by `kid`. Web Crypto and jose only, so the edge router
 * (workerd) verifies with exactly the key ids the Node processes compute.
 */
import { type CryptoKey, calculateJwkThumbprint, exportJWK, importSPKI } from 'jose';
import { ConfigError } from '../errors/config-error';

/** The only signature algorithm access tokens use: EdDSA over Ed25519 (RFC 8037). */
export const SIGNING_ALGORITHM = 'EdDSA';

const PUBLIC_KEY_PEM = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g;

/** RFC 7638 JWK thumbprint: the `kid` tokens signed with this key carry. */
export async function thumbprint(publicKey: CryptoKey): Promise<string> {
  return calculateJwkThumbprint(await exportJWK(publicKey));
}

/** One SPKI PEM; `source` names the setting in the ConfigError a bad key raises. */
export async function importPublicKey(pem: string, source: string): Promise<CryptoKey> {
  try {
    return await importSPKI(pem, SIGNING_ALGORITHM, { extractable: true });
  } catch {
    throw new ConfigError(`${source}: must be an Ed25519 public key in SPKI PEM form`);
  }
}

/** Each public key of `pems` (one PEM, or several one after another) by its thumbprint, in order. */
export async function importPublicKeys(
  pems: string,
  source = 'JWT_PUBLIC_KEY',
): Promise<Array<[string, CryptoKey]>> {
  const blocks = pems.match(PUBLIC_KEY_PEM) ?? [];
  if (blocks.length === 0) throw new ConfigError(`${source}: must be an Ed25519 public key in SPKI PEM form`);
  return Promise.all(
    blocks.map(async (pem, index): Promise<[string, CryptoKey]> => {
      const key = await importPublicKey(pem, blocks.length > 1 ? `${source} (key ${index + 1})` : source);
      return [await thumbprint(key), key];
    }),
  );
}
