import { createHmac } from 'node:crypto';

/** One entry of RTCConfiguration.iceServers, as WebRTC clients take it. */
export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/**
 * Time-limited TURN credentials in the scheme coturn verifies with `use-auth-secret` (the TURN
 * REST API draft): the username is `<unix expiry>:<user id>`, the password the base64 HMAC-SHA1 of
 * that username under the shared secret. coturn recomputes it, so no state is shared, and the
 * credential stops working at its expiry.
 */
export function turnCredentials(
  userId: string,
  { urls, secret, ttlSeconds }: { urls: string[]; secret: string; ttlSeconds: number },
  now = Date.now(),
): IceServer {
  const username = `${Math.floor(now / 1000) + ttlSeconds}:${userId}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { urls, username, credential };
}
