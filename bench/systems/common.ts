import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { importSPKI, jwtVerify } from 'jose';

/**
 * What the peers share with each other and with our system, so that only the fan-out differs:
 * the same send endpoint and body, the same event frame shape (what our gateway forwards for
 * `message.created`), the same EdDSA access tokens.
 */

export const SEND_PATH = /^\/v1\/conversations\/([0-9a-f-]{36})\/messages$/;

export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

/** The event our gateway delivers for a new message, with the same fields and sizes. */
export function messageCreatedEvent(
  conversationId: string,
  seq: number,
  senderId: string,
  clientMessageId: string,
  body: string,
) {
  const message = {
    id: randomUUID(),
    conversationId,
    seq,
    senderId,
    clientMessageId,
    body,
    replyToId: null,
    attachmentFileIds: [],
    pollId: null,
    createdAt: new Date().toISOString(),
    editedAt: null,
    deletedAt: null,
    reactions: {},
  };
  return { type: 'event', event: 'message.created', conversationId, seq, data: { message } };
}

/** Verifies our access tokens with the public key (as any service of the peer's would). */
export async function tokenVerifier(publicKeyPem: string) {
  const key = await importSPKI(publicKeyPem, 'EdDSA');
  return async (token: string): Promise<string> => {
    const { payload } = await jwtVerify(token, key, { algorithms: ['EdDSA'] });
    if (typeof payload.sub !== 'string') throw new Error('no subject');
    return payload.sub;
  };
}

export function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        done(JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>);
      } catch (error) {
        fail(error);
      }
    });
    request.on('error', fail);
  });
}

export function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/**
 * The send endpoint of a peer: `POST /v1/conversations/:id/messages` with the body our API takes,
 * answered 201 with the message once `publish` resolved; `/healthz` answers 200.
 */
export function sendServer(
  publish: (
    conversationId: string,
    senderId: string,
    clientMessageId: string,
    body: string,
  ) => Promise<unknown>,
  verify?: (token: string) => Promise<string>,
): Server {
  return createServer(async (request, response) => {
    try {
      if (request.url === '/healthz') return reply(response, 200, { status: 'ok' });
      const match = request.method === 'POST' ? SEND_PATH.exec(request.url ?? '') : null;
      if (!match) return reply(response, 404, { error: 'not found' });
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      let senderId = 'anonymous';
      if (verify) {
        if (!token) return reply(response, 401, { error: 'unauthorized' });
        senderId = await verify(token).catch(() => '');
        if (!senderId) return reply(response, 401, { error: 'unauthorized' });
      }
      const input = await readJson(request);
      const sent = await publish(
        match[1] as string,
        senderId,
        String(input.clientMessageId),
        String(input.body),
      );
      reply(response, 201, sent);
    } catch (error) {
      reply(response, 500, { error: String(error) });
    }
  });
}

export function listen(server: Server): Promise<void> {
  return new Promise((done) => server.listen(Number(env('PORT')), process.env.HOST ?? '127.0.0.1', done));
}

/** Exits on SIGTERM after closing what `close` closes. */
export function exitOnSigterm(close: () => Promise<void> | void): void {
  process.once('SIGTERM', async () => {
    await close();
    process.exit(0);
  });
}
