/**
 * `npm run edge`: the edge router on workerd at EDGE_PORT (8787) in front of UPSTREAM_URL (the dev
 * server of `npm start`, http://127.0.0.1:8080). Without JWT_PUBLIC_KEY it takes the public half of
 * the dev server's embedded key under DATA_DIR, so the two agree with nothing configured.
 */
import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EMBEDDED_KEY_FILE } from '@secureconnect/shared/auth/signing-keys';
import { EDGE_BINDINGS, startEdge } from './lib/edge-worker';
import { ROOT } from './lib/function-catalog';

function fail(message: string): never {
  process.stderr.write(`edge: ${message}\n`);
  process.exit(1);
}

function publicKey(): string {
  if (process.env.JWT_PUBLIC_KEY) return process.env.JWT_PUBLIC_KEY;
  if (process.env.JWT_PUBLIC_KEY_FILE) return readFileSync(process.env.JWT_PUBLIC_KEY_FILE, 'utf8');
  const embedded = join(resolve(process.env.DATA_DIR ?? '.data'), EMBEDDED_KEY_FILE);
  if (!existsSync(embedded)) {
    fail(
      `JWT_PUBLIC_KEY is not set and ${embedded} does not exist yet: run \`npm start\` first, or set JWT_PUBLIC_KEY`,
    );
  }
  return createPublicKey(readFileSync(embedded, 'utf8')).export({ type: 'spki', format: 'pem' }).toString();
}

const port = Number(process.env.EDGE_PORT ?? 8787);
if (!Number.isInteger(port) || port < 0 || port > 65535)
  fail(`EDGE_PORT must be a port number (got ${process.env.EDGE_PORT})`);

const env: Record<string, string> = { UPSTREAM_URL: 'http://127.0.0.1:8080' };
for (const name of EDGE_BINDINGS) {
  const value = process.env[name];
  if (value) env[name] = value;
}
env.JWT_PUBLIC_KEY = publicKey();

try {
  const edge = await startEdge({
    outDir: join(ROOT, 'dist/edge'),
    host: process.env.EDGE_HOST ?? '127.0.0.1',
    port,
    env,
  });
  edge.child.stdout?.pipe(process.stdout);
  edge.child.stderr?.pipe(process.stderr);
  for (const line of [...edge.stdout, ...edge.stderr]) process.stdout.write(`${line}\n`);
  console.log(
    JSON.stringify({
      level: 'info',
      service: 'edge-router',
      msg: `edge router listening on ${edge.url} (workerd), in front of ${env.UPSTREAM_URL}`,
      port,
      bundleBytes: edge.bundle.bytes,
    }),
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => edge.child.kill('SIGTERM'));
  process.exitCode = (await edge.exited) ?? 0;
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
