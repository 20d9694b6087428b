/**
 * `npm run new-function` against a throwaway root holding a minimal functions/ folder: the
 * scaffold is written, typechecks, imports, bundles, and lands in stack.yml and the router.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type AnyFunction, manifestOf } from '@secureconnect/shared/http/define-function';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bundleFunction } from './lib/bundle';
import { ROOT } from './lib/function-catalog';
import { ScaffoldError, scaffoldFunction } from './lib/scaffold';

let root: string;
let output: string;

/** A root with users-me copied in, resolving packages through this repository's node_modules. */
async function makeRoot(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sc-scaffold-'));
  await mkdir(join(dir, 'functions'));
  cpSync(join(ROOT, 'functions/users-me/handler.ts'), join(dir, 'functions/users-me/handler.ts'));
  cpSync(join(ROOT, 'functions/users-me/package.json'), join(dir, 'functions/users-me/package.json'));
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

beforeAll(async () => {
  root = await makeRoot();
  output = execFileSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'scripts/new-function.ts'), 'demo-widget', '--root', root],
    { cwd: ROOT, encoding: 'utf8' },
  );
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('npm run new-function', () => {
  it('writes package.json, handler.ts and handler.test.ts and says what to change next', () => {
    for (const file of ['package.json', 'handler.ts', 'handler.test.ts']) {
      expect(existsSync(join(root, 'functions/demo-widget', file)), file).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(root, 'functions/demo-widget/package.json'), 'utf8'))).toMatchObject({
      name: '@secureconnect/fn-demo-widget',
      type: 'module',
      dependencies: { '@secureconnect/shared': '*' },
    });
    const test = readFileSync(join(root, 'functions/demo-widget/handler.test.ts'), 'utf8');
    expect(test).toContain('startTestServer');
    expect(test).toContain('registerAccount');
    expect(test).toContain('toBe(401)');
    expect(output).toContain('Next steps');
    expect(output).toContain('npm run generate');
    expect(output).toContain('npm install');
  });

  it('scaffolds a working GET /v1/<name> for signed-in users', async () => {
    const module = (await import(pathToFileURL(join(root, 'functions/demo-widget/handler.ts')).href)) as {
      default: AnyFunction;
    };
    expect(manifestOf(module.default)).toEqual({
      name: 'demo-widget',
      method: 'GET',
      path: '/v1/demo-widget',
      auth: 'user',
      summary: 'demo-widget',
      tags: ['demo'],
      uses: [],
    });
    expect(
      await module.default.handle({ body: undefined, query: undefined, params: undefined }, {} as never),
    ).toEqual({
      ok: true,
    });
  });

  it('typechecks under the repository compiler options', async () => {
    await writeFile(
      join(root, 'tsconfig.json'),
      JSON.stringify({ extends: join(ROOT, 'tsconfig.json'), include: ['functions/demo-widget/handler.ts'] }),
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const result = spawnSync(process.execPath, [tsc, '--noEmit', '-p', join(root, 'tsconfig.json')], {
      encoding: 'utf8',
    });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('bundles', async () => {
    const result = await bundleFunction('demo-widget', join(root, 'dist'), { root });
    expect(result.bytes).toBeGreaterThan(0);
    expect(readFileSync(result.file, 'utf8')).toContain('path: "/v1/demo-widget"');
  });

  it('regenerates stack.yml and the router with the new function beside the others', () => {
    const stack = parse(readFileSync(join(root, 'stack.yml'), 'utf8'), { version: '1.1' }) as {
      functions: Record<string, { handler: string; annotations: Record<string, string> }>;
    };
    expect(Object.keys(stack.functions)).toEqual(['demo-widget', 'users-me']);
    expect(stack.functions['demo-widget']?.annotations['secureconnect.route']).toBe('GET /v1/demo-widget');
    const routes = readFileSync(join(root, 'infra/nginx/routes.conf'), 'utf8');
    expect(routes).toContain('location = /v1/demo-widget {');
    expect(routes).toContain('if ($request_method = GET) { set $sc_function demo-widget; }');
  });

  it('refuses names that are not kebab-case or already taken', async () => {
    for (const name of ['Demo', 'demo_widget', 'demo--widget', '-demo', '1demo', '']) {
      await expect(scaffoldFunction(name, root), name).rejects.toBeInstanceOf(ScaffoldError);
    }
    await expect(scaffoldFunction('users-me', root)).rejects.toThrow('functions/users-me already exists');
  });

  it('leaves nothing behind when the regeneration fails', async () => {
    const broken = await makeRoot();
    try {
      await mkdir(join(broken, 'functions/misnamed'));
      await writeFile(
        join(broken, 'functions/misnamed/handler.ts'),
        "export default { name: 'something-else' };\n",
      );
      await expect(scaffoldFunction('demo-two', broken)).rejects.toThrow('misnamed');
      expect(existsSync(join(broken, 'functions/demo-two'))).toBe(false);
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });
});
