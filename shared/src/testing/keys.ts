import { randomBytes } from 'node:crypto';
import type { KeyUpload } from '../keys/api-schemas';

const key = () => randomBytes(32).toString('base64');

/** A well-formed key upload with `count` one-time prekeys numbered from `firstKeyId`. */
export function keyUpload(count: number, firstKeyId = 1, identityKey = key()): KeyUpload {
  return {
    identityKey,
    signedPrekey: { keyId: 1, publicKey: key(), signature: randomBytes(64).toString('base64') },
    oneTimePrekeys: Array.from({ length: count }, (_, index) => ({
      keyId: firstKeyId + index,
      publicKey: key(),
    })),
  };
}
