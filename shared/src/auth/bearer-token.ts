import { unauthorized } from '../errors/problem';

/**
 * The token of an `Authorization: Bearer <token>` header.
 *
 * @throws ProblemError 401 when the header is missing or is not a bearer credential.
 */
export function bearerToken(header: string | undefined): string {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match?.[1]) throw unauthorized();
  return match[1];
}
