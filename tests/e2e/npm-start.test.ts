import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function freePort(): Promise<number> {
  return new Promise((done) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });
}

let child: ChildProcess | undefined;
let dataDir: string | undefined;
afterAll(async () => {
  if (child?.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/**
 * The README's first command, exactly: `npm start` with nothing configured serves everything on
 * embedded stores (PGlite, in-process KV, mail to the log) and stops cleanly on SIGTERM.
 */
describe('npm start on the embedded defaults', () => {
  it('serves the API with no services configured and drains on SIGTERM', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sc-npm-start-'));
    const port = await freePort();
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
    };
    // Its own process group, so SIGTERM reaches npm and the server as a terminal's Ctrl-C or `docker stop` would.
    child = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    // 'close' waits for every holder of the output pipes: npm and the server it started.
    const exited = new Promise<void>((done) => child?.once('close', () => done()));

    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    while (!/listening on/.test(output)) {
      if (Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
      await new Promise((done) => setTimeout(done, 200));
    }
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(output).toMatch(/"sql":"pglite \(embedded\)"/);
    expect(output).toMatch(/"kv":"in-process \(embedded\)"/);

    const email = `start-${crypto.randomUUID()}@example.test`;
    const registered = await fetch(`${base}/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'embedded mode works', displayName: 'Embedded' }),
    });
    expect(registered.status).toBe(201);
    const { accessToken } = (await registered.json()) as { accessToken: string };
    const me = await fetch(`${base}/v1/users/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(me.status).toBe(200);
    // Embedded mail goes to the log, where a developer finds the verification link.
    expect(output).toMatch(/verify-email\?token=/);

    // The drive works with nothing installed: the server itself takes and serves the bytes.
    const auth = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };
    const presigned = await fetch(`${base}/v1/files`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'hello.txt', size: 5, contentType: 'text/plain' }),
    });
    expect(presigned.status).toBe(201);
    const ticket = (await presigned.json()) as { fileId: string; uploadUrl: string };
    expect(ticket.uploadUrl.startsWith(`${base}/v1/blobs/`)).toBe(true);
    const put = await fetch(ticket.uploadUrl, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(put.status).toBe(200);
    const completed = await fetch(`${base}/v1/files/${ticket.fileId}/complete`, {
      method: 'POST',
      headers: auth,
    });
    expect(completed.status).toBe(200);
    const link = (await (
      await fetch(`${base}/v1/files/${ticket.fileId}/download`, { headers: auth })
    ).json()) as {
      url: string;
    };
    expect(await (await fetch(link.url)).text()).toBe('hello');

    process.kill(-(child.pid as number), 'SIGTERM');
    await exited;
    expect(output).toMatch(/shutdown complete/);
  }, 90_000);
});
