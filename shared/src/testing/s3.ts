import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** A private S3 endpoint that a test may take down and bring back on the same port. */
export interface TestS3Endpoint {
  /** `http://127.0.0.1:<port>`: the verifying proxy, for S3_ENDPOINT. */
  url: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** What reached the proxy: every request, and those it refused for their signature or expiry. */
  requests: { received: number; refused: number };
  /** The S3_* variables that point a process at this endpoint (short request timeout). */
  env(): Record<string, string>;
  /** Stops the proxy and s3rver: connections are refused, as with a store that is down. */
  stop(): Promise<void>;
  /** Starts both again, the proxy on the same port, with the objects stored before. */
  start(): Promise<void>;
  /** Stops and deletes everything. */
  close(): Promise<void>;
}

/** What S3 answers when it refuses a request, and how. */
interface Refusal {
  status: number;
  code: string;
  message: string;
}

const S3RVER_CLI = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');
const STARTUP_TIMEOUT_MS = 10_000;

/** Every s3rver still running, killed when the test process exits however it exits. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * s3rver in its own process, listening on a free port of 127.0.0.1. It needs OpenSSL's legacy
 * provider: it encrypts ListObjectsV2 continuation tokens with DES, which Node 17+ refuses
 * otherwise (a 500 on any truncated listing).
 */
async function spawnS3rver(
  directory: string,
  bucket: string,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [
      '--openssl-legacy-provider',
      S3RVER_CLI,
      '-d',
      directory,
      '-a',
      '127.0.0.1',
      '-p',
      '0',
      '-s',
      '--configure-bucket',
      bucket,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start:\n${output}`)), STARTUP_TIMEOUT_MS);
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /S3rver listening on [^:]+:(\d+)/.exec(output);
      if (listening) {
        clearTimeout(timer);
        resolve(Number(listening[1]));
      }
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with ${code} during start-up:\n${output}`));
    });
  });
  // Nobody reads the output from here on; unread it would eventually block the server.
  child.stdout?.resume();
  child.stderr?.resume();
  return { child, port };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

const MAX_PRESIGNED_SECONDS = 7 * 24 * 3600;
/** How far a header-signed request's X-Amz-Date may be from now before S3 refuses it. */
const MAX_SKEW_MS = 15 * 60 * 1000;
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const PAYLOAD_HEADER = 'x-amz-content-sha256';

/** `20261204T150413Z` → Date; undefined when malformed. */
function parseAmzDate(value: string | undefined): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  return new Date(Date.UTC(year!, month! - 1, day, hour, minute, second));
}

/** The query as sent, decoded without URLSearchParams' `+` → space rule, which SigV4 does not use. */
function parseQuery(raw: string): Record<string, string> {
  const query: Record<string, string> = {};
  for (const pair of raw.split('&').filter(Boolean)) {
    const at = pair.indexOf('=');
    const name = decodeURIComponent(at === -1 ? pair : pair.slice(0, at));
    query[name] = at === -1 ? '' : decodeURIComponent(pair.slice(at + 1));
  }
  return query;
}

function sameSignature(computed: string | undefined, given: string | undefined): boolean {
  const a = Buffer.from(computed ?? '', 'utf8');
  const b = Buffer.from(given ?? '', 'utf8');
  return a.length > 0 && a.length === b.length && timingSafeEqual(a, b);
}

function headerValues(incoming: IncomingMessage, names: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = incoming.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
}

function refuse(
  response: ServerResponse,
  method: string | undefined,
  { status, code, message }: Refusal,
): void {
  const body =
    method === 'HEAD'
      ? ''
      : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${randomBytes(8).toString('hex')}</RequestId></Error>`;
  response.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

/**
 * Recomputes SigV4 signatures with the SDK's own signer (@smithy/signature-v4), from each request
 * as it arrived: method, raw path, query (less X-Amz-Signature), and the headers the signature
 * names — taken from the request, so a client that sends another Content-Length or Content-Type
 * than was signed is refused, as S3 refuses it.
 */
class SignatureVerifier {
  private readonly signer: SignatureV4;

  constructor(
    private readonly accessKeyId: string,
    secretAccessKey: string,
    region: string,
  ) {
    this.signer = new SignatureV4({
      service: 's3',
      region,
      credentials: { accessKeyId, secretAccessKey },
      sha256: Sha256,
      // S3 signs the path as sent, without the double encoding other services use.
      uriEscapePath: false,
    });
  }

  async check(incoming: IncomingMessage): Promise<Refusal | undefined> {
    const url = incoming.url ?? '/';
    const at = url.indexOf('?');
    const path = at === -1 ? url : url.slice(0, at);
    const query = parseQuery(at === -1 ? '' : url.slice(at + 1));
    if (query['X-Amz-Signature'] !== undefined) return this.checkPresigned(incoming, path, query);
    const authorization = incoming.headers.authorization;
    if (authorization?.startsWith('AWS4-HMAC-SHA256 '))
      return this.checkHeaderSigned(incoming, path, query, authorization);
    return { status: 403, code: 'AccessDenied', message: 'Access Denied' };
  }

  private async checkPresigned(
    incoming: IncomingMessage,
    path: string,
    { 'X-Amz-Signature': given, ...query }: Record<string, string>,
  ): Promise<Refusal | undefined> {
    if (query['X-Amz-Credential']?.split('/')[0] !== this.accessKeyId) return this.unknownKey();
    const signedAt = parseAmzDate(query['X-Amz-Date']);
    const expiresIn = Number(query['X-Amz-Expires']);
    if (!signedAt || !Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGNED_SECONDS)
      return {
        status: 400,
        code: 'AuthorizationQueryParametersError',
        message: 'X-Amz-Date and X-Amz-Expires must be valid',
      };
    const signedHeaders = (query['X-Amz-SignedHeaders'] ?? '').split(';');
    // A presigned request's payload is never signed; the header only tells the signer so, and is
    // kept out of both the query and the signed headers.
    const keepAside = new Set([PAYLOAD_HEADER]);
    const presigned = await this.signer.presign(
      {
        method: incoming.method ?? 'GET',
        protocol: 'http:',
        hostname: '127.0.0.1',
        path,
        query,
        headers: { ...headerValues(incoming, signedHeaders), [PAYLOAD_HEADER]: UNSIGNED_PAYLOAD },
      },
      {
        signingDate: signedAt,
        expiresIn,
        signableHeaders: new Set(signedHeaders),
        unsignableHeaders: keepAside,
        unhoistableHeaders: new Set([...signedHeaders, ...keepAside]),
      },
    );
    if (!sameSignature(presigned.query?.['X-Amz-Signature'] as string | undefined, given))
      return this.mismatch();
    if (signedAt.getTime() + expiresIn * 1000 < Date.now())
      return { status: 403, code: 'AccessDenied', message: 'Request has expired' };
    return undefined;
  }

  private async checkHeaderSigned(
    incoming: IncomingMessage,
    path: string,
    query: Record<string, string>,
    authorization: string,
  ): Promise<Refusal | undefined> {
    const match = /Credential=([^/,]+)\/[^,]*,\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]+)/.exec(
      authorization,
    );
    if (!match)
      return { status: 400, code: 'AuthorizationHeaderMalformed', message: 'Malformed Authorization' };
    const [, accessKeyId, signedHeaderList, given] = match as unknown as [string, string, string, string];
    if (accessKeyId !== this.accessKeyId) return this.unknownKey();
    const signedAt = parseAmzDate(headerValues(incoming, ['x-amz-date'])['x-amz-date']);
    if (!signedAt || Math.abs(signedAt.getTime() - Date.now()) > MAX_SKEW_MS)
      return { status: 403, code: 'RequestTimeTooSkewed', message: 'The request time is too far from now' };
    const signedHeaders = signedHeaderList.split(';');
    // The payload hash is taken as declared in x-amz-content-sha256; the body is not rehashed.
    const signed = await this.signer.sign(
      {
        method: incoming.method ?? 'GET',
        protocol: 'http:',
        hostname: '127.0.0.1',
        path,
        query,
        headers: headerValues(incoming, signedHeaders),
      },
      { signingDate: signedAt, signableHeaders: new Set(signedHeaders) },
    );
    const computed = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))?.[1];
    return sameSignature(computed, given) ? undefined : this.mismatch();
  }

  private mismatch(): Refusal {
    return {
      status: 403,
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided.',
    };
  }

  private unknownKey(): Refusal {
    return {
      status: 403,
      code: 'InvalidAccessKeyId',
      message: 'The AWS Access Key Id you provided does not exist in our records.',
    };
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  return closed;
}

/**
 * s3rver (a local S3 on the filesystem, SPEC §13, in a child process) behind a small proxy that verifies every
 * signature before forwarding. s3rver alone accepts any SigV4 signature, so it cannot show that a
 * presigned PUT refuses another length or type; the proxy refuses such requests with S3's own
 * XML errors (SignatureDoesNotMatch, AccessDenied "Request has expired") — including header-signed
 * calls from our client, so wrong credentials get the 403 a real S3 would give.
 *
 * @example
 * const s3 = await startS3Endpoint();
 * const store = await openBlobStore({ config: loadConfig(s3.env()), logger, metrics });
 * await s3.stop();  // the store is down: connections refused
 * await s3.start(); // back, same port, same objects
 */
export async function startS3Endpoint({ bucket = 'drive-test' } = {}): Promise<TestS3Endpoint> {
  const region = 'us-east-1';
  // s3rver knows only its built-in account (it checks the key id, never the signature).
  const accessKeyId = 'S3RVER';
  const secretAccessKey = 'S3RVER';
  const directory = await mkdtemp(join(tmpdir(), 'sc-s3rver-'));
  const verifier = new SignatureVerifier(accessKeyId, secretAccessKey, region);
  const requests = { received: 0, refused: 0 };

  let upstream: { child: ChildProcess; port: number } | undefined;
  let proxy: Server | undefined;
  let port = 0;

  const forward = (incoming: IncomingMessage, response: ServerResponse, to: number) => {
    const outgoing = request(
      // No pooled sockets to s3rver, so stopping it never waits on an idle keep-alive connection.
      {
        host: '127.0.0.1',
        port: to,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
        agent: false,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    outgoing.on('error', () => response.destroy());
    incoming.pipe(outgoing);
  };

  const handle = async (incoming: IncomingMessage, response: ServerResponse) => {
    requests.received++;
    const refusal = await verifier.check(incoming);
    // No upstream only for a request caught by stop() between arrival and forwarding.
    if (refusal || !upstream) {
      requests.refused++;
      incoming.resume();
      refuse(
        response,
        incoming.method,
        refusal ?? { status: 503, code: 'ServiceUnavailable', message: 'Down' },
      );
      return;
    }
    forward(incoming, response, upstream.port);
  };

  const start = async () => {
    if (proxy) return;
    upstream = await spawnS3rver(directory, bucket);
    const server = createServer((incoming, response) => {
      handle(incoming, response).catch(() => response.destroy());
    });
    port = await listen(server, port);
    proxy = server;
  };

  const stop = async () => {
    const [server, current] = [proxy, upstream];
    proxy = undefined;
    upstream = undefined;
    if (server) await closeServer(server);
    if (current) await kill(current.child);
  };

  await start();
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    bucket,
    region,
    accessKeyId,
    secretAccessKey,
    requests,
    env: () => ({
      S3_ENDPOINT: url,
      S3_BUCKET: bucket,
      S3_REGION: region,
      S3_ACCESS_KEY_ID: accessKeyId,
      S3_SECRET_ACCESS_KEY: secretAccessKey,
      S3_FORCE_PATH_STYLE: 'on',
      S3_REQUEST_TIMEOUT_MS: '1000',
    }),
    stop,
    start,
    async close() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
