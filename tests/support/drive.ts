import type { TestAccount } from '../../shared/src/testing/accounts';
import type { TestServer } from '../../shared/src/testing/test-server';

export interface UploadTicket {
  fileId: string;
  method: 'PUT';
  uploadUrl: string;
  headers: Record<string, string>;
  expiresAt: string;
}

/** Step one of an upload through the API; throws unless the server handed out a URL. */
export async function presign(
  server: TestServer,
  owner: TestAccount,
  file: { name: string; size: number; contentType: string },
): Promise<UploadTicket> {
  const response = await server.request('POST', '/v1/files', { token: owner.accessToken, body: file });
  if (response.status !== 201)
    throw new Error(`presign failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/**
 * PUTs bytes to a presigned URL as a client would (fetch sets Content-Length from the body);
 * `headers` replaces the signed ones, to send something other than what was signed.
 */
export function put(ticket: UploadTicket, bytes: Uint8Array | string, headers: Record<string, string> = {}) {
  const signed = Object.fromEntries(
    Object.entries(ticket.headers).filter(([name]) => name.toLowerCase() !== 'content-length'),
  );
  return fetch(ticket.uploadUrl, { method: 'PUT', headers: { ...signed, ...headers }, body: bytes });
}

/** Presign → PUT → complete; the completed file. */
export async function uploadFile(
  server: TestServer,
  owner: TestAccount,
  { name = 'notes.txt', content = 'hello drive', contentType = 'text/plain' } = {},
) {
  const bytes = new TextEncoder().encode(content);
  const ticket = await presign(server, owner, { name, size: bytes.byteLength, contentType });
  const stored = await put(ticket, bytes);
  if (!stored.ok) throw new Error(`upload failed: ${stored.status} ${await stored.text()}`);
  const completed = await server.request('POST', `/v1/files/${ticket.fileId}/complete`, {
    token: owner.accessToken,
  });
  if (completed.status !== 200)
    throw new Error(`complete failed: ${completed.status} ${JSON.stringify(completed.body)}`);
  return completed.body as { id: string; name: string; size: number; contentType: string; status: string };
}

/** Fetches a file's bytes through files-download, as its caller; the raw API response when refused. */
export async function download(server: TestServer, caller: TestAccount, fileId: string) {
  const response = await server.request('GET', `/v1/files/${fileId}/download`, { token: caller.accessToken });
  if (response.status !== 200) return { status: response.status, body: response.body, text: undefined };
  const fetched = await fetch(response.body.url);
  return {
    status: fetched.status,
    body: response.body,
    text: await fetched.text(),
    headers: fetched.headers,
  };
}
