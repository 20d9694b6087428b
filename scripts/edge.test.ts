import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadSigningKeys } from '../shared/src/auth/signing-keys';
import { type ChildRun, killProcess, spawnProcess } from '../shared/src/testing/processes';
import { freePort } from '../tests/support/sdk';
import { ROOT } from './lib/function-catalog';

/** `npm run edge` as the README gives it, on workerd, with the dev server's embedded key. */
function npmRunEdge(env: Record<string, string>): ChildRun {
  return spawnProcess('npm', ['run', '--silent', 'edge'], {
    cwd: ROOT,
    env: { HOME: process.env.HOME ?? '', ...env },
  });
}

describe('npm run edge', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sc-edge-data-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses to start without a key, in one line that says what to do', async () => {
    const run = npmRunEdge({ DATA_DIR: dataDir, EDGE_PORT: String(await freePort()) });
    expect(await run.exited).toBe(1);
    expect(run.stderr.filter(Boolean)).toEqual([
      expect.stringMatching(
        /^edge: JWT_PUBLIC_KEY is not set and .* does not exist yet: run `npm start` first/,
      ),
    ]);
  });

  it('serves on workerd with the embedded key, in front of UPSTREAM_URL', async () => {
    // What `npm start` leaves under DATA_DIR on its first run.
    await loadSigningKeys({ dataDir, needPrivateKey: true });
    const port = await freePort();
    const run = npmRunEdge({
      DATA_DIR: dataDir,
      EDGE_PORT: String(port),
      UPSTREAM_URL: `http://127.0.0.1:${await freePort()}`,
    });
    try {
      const url = `http://127.0.0.1:${port}`;
      await vi.waitFor(
        () => expect(run.stdout.join('\n')).toContain(`edge router listening on ${url} (workerd)`),
        {
          timeout: 20_000,
          interval: 50,
        },
      );
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const anonymous = await fetch(`${url}/v1/users/me`);
      expect(anonymous.status).toBe(401);
      // Nothing listens upstream: the router's 503, not a hang or a 500.
      const unreachable = await fetch(`${url}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(unreachable.status).toBe(503);
      expect(unreachable.headers.get('retry-after')).toBe('5');
    } finally {
      await killProcess(run);
    }
  });
});
