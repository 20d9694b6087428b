import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './function-catalog';
import { loadFunctionsIn, writeGeneratedFiles } from './generated';

/** OpenFaaS function names are DNS labels; ours are also kebab-case folder names. */
export const FUNCTION_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export class ScaffoldError extends Error {
  override name = 'ScaffoldError';
}

export interface ScaffoldResult {
  /** Files written, relative to the root. */
  files: string[];
  /** Generated files that changed (stack.yml, routes.conf). */
  regenerated: string[];
}

/** Throws ScaffoldError unless `name` can become a new function under `root`. */
export function validateFunctionName(name: string, root: string): void {
  if (!FUNCTION_NAME.test(name)) {
    throw new ScaffoldError(
      `"${name}" is not a valid name: use kebab-case (lowercase letters, digits, single dashes)`,
    );
  }
  if (name.length > 63)
    throw new ScaffoldError(`"${name}" is longer than 63 characters (an OpenFaaS name is a DNS label)`);
  if (existsSync(join(root, 'functions', name))) throw new ScaffoldError(`functions/${name} already exists`);
}

const pascal = (name: string) =>
  name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

export function packageJson(name: string): string {
  const manifest = {
    name: `@secureconnect/fn-${name}`,
    version: '0.1.0',
    private: true,
    type: 'module',
    dependencies: { '@secureconnect/shared': '*' },
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

export function handlerSource(name: string): string {
  const schema = `${pascal(name)}Response`;
  const tag = name.split('-')[0];
  return `import { defineFunction } from '@secureconnect/shared/http/define-function';
import * as v from 'valibot';

export const ${schema} = v.object({ ok: v.literal(true) });

/**
 * Scaffolded by \`npm run new-function ${name}\`: a working operation to start from. Change the
 * manifest (method, path, auth, uses, request, response) and \`handle\`, then run
 * \`npm run generate\` so stack.yml and the router follow.
 */
export default defineFunction({
  name: '${name}',
  method: 'GET',
  path: '/v1/${name}',
  auth: 'user',
  summary: '${name}',
  tags: ['${tag}'],
  uses: [],
  request: {},
  response: { status: 200, schema: ${schema}, description: 'The caller is authenticated' },
  handle: async () => ({ ok: true as const }),
});
`;
}

export function handlerTestSource(name: string): string {
  return `import { registerAccount } from '@secureconnect/shared/testing/accounts';
import { startTestServer, type TestServer } from '@secureconnect/shared/testing/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import authRegister from '../auth-register/handler';
import fn from './handler';

let server: TestServer;
beforeAll(async () => {
  // auth-register issues the access tokens this function checks.
  server = await startTestServer({ functions: [fn, authRegister] });
});
afterAll(() => server?.close());

describe('${name}', () => {
  it('needs an access token', async () => {
    const response = await server.request('GET', '/v1/${name}');
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\\/problem\\+json/);
  });

  it('answers an authenticated caller', async () => {
    const account = await registerAccount(server);
    const response = await server.request('GET', '/v1/${name}', { token: account.accessToken });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ok: true });
  });

  it('is also served under /function/${name}', async () => {
    const account = await registerAccount(server);
    const response = await server.request('GET', '/function/${name}/v1/${name}', { token: account.accessToken });
    expect(response.status).toBe(200);
  });
});
`;
}

/**
 * Formats a scaffolded source file with the repository's Biome settings, so a long name still
 * yields files that pass `npm run lint`. Without Biome installed, the source is kept as is.
 */
function formatted(source: string, file: string): string {
  const biome = join(ROOT, 'node_modules/.bin/biome');
  if (!existsSync(biome)) return source;
  return execFileSync(biome, ['check', '--write', `--config-path=${ROOT}`, `--stdin-file-path=${file}`], {
    input: source,
    encoding: 'utf8',
  });
}

/**
 * Writes functions/<name>/{package.json, handler.ts, handler.test.ts} under `root`, then
 * regenerates stack.yml and the router from every manifest there. Nothing is left behind when
 * any step fails.
 */
export async function scaffoldFunction(name: string, root: string): Promise<ScaffoldResult> {
  validateFunctionName(name, root);
  const dir = join(root, 'functions', name);
  const files: Record<string, string> = {
    'package.json': packageJson(name),
    'handler.ts': formatted(handlerSource(name), `functions/${name}/handler.ts`),
    'handler.test.ts': formatted(handlerTestSource(name), `functions/${name}/handler.test.ts`),
  };
  await mkdir(dir, { recursive: true });
  try {
    for (const [file, content] of Object.entries(files))
      await writeFile(join(dir, file), content, { flag: 'wx' });
    const regenerated = await writeGeneratedFiles(root, await loadFunctionsIn(root));
    return { files: Object.keys(files).map((file) => `functions/${name}/${file}`), regenerated };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
