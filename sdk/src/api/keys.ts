import type { HttpTransport } from '../http';
import type { KeyBundle, KeyUploadInput } from '../types';

/** The E2EE key directory (`keys-*`): the server holds public keys only. */
export class KeysApi {
  constructor(private readonly http: HttpTransport) {}

  /** Publishes the caller's identity key, signed prekey and a batch of one-time prekeys. */
  upload(input: KeyUploadInput): Promise<void> {
    return this.http.call('keys-upload', { body: input });
  }

  /** Another user's bundle; the one-time prekey in it is never handed out again. */
  bundle(userId: string): Promise<KeyBundle> {
    return this.http.call('keys-bundle', { params: { userId } });
  }

  /** One-time prekeys the caller has left, to know when to upload more. */
  count(): Promise<{ count: number }> {
    return this.http.call('keys-count');
  }
}
