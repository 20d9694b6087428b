import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestServer } from '../../shared/src/testing/test-server';
import { startSdkDevServer } from '../../tests/support/sdk';

const SDK = resolve(import.meta.dirname, '..');
const EXAMPLE = resolve(SDK, 'examples/quickstart.ts');

let server: TestServer;
beforeAll(async () => {
  ({ server } = await startSdkDevServer());
});
afterAll(() => server?.close());

it('the README quickstart runs as written against the dev server', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', EXAMPLE], {
    cwd: SDK,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', SECURECONNECT_URL: server.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [code] = await once(child, 'exit');
  clearTimeout(killer);

  expect(output).toContain('bob: tokens saved');
  expect(output).toContain("bob's connection: open");
  expect(output).toContain('bob got #1 in Book club: Chapter 3 tonight?');
  expect(output).toContain('refused: 400 body.body must not be empty');
  expect(output).toMatch(/cursors to save: \{"[0-9a-f-]{36}":1\}/);
  expect(code, output).toBe(0);
});

it('the README shows the quickstart exactly as it runs', () => {
  const readme = readFileSync(resolve(SDK, 'README.md'), 'utf8');
  expect(readme).toContain(`\`\`\`ts\n${readFileSync(EXAMPLE, 'utf8')}\`\`\``);
});
