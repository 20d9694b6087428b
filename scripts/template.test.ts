/**
 * What can be checked of the OpenFaaS template without Docker (none runs here or on CI): the
 * template parses, names its Dockerfile, and every file the Dockerfile copies exists in the build
 * context faas-cli assembles from stack.yml. The image itself is never built by the tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dockerfileInstructions, envPairs } from './lib/dockerfile';
import { ROOT } from './lib/function-catalog';
import { DEPLOYMENT, TEMPLATE_LANG } from './lib/stack';

const TEMPLATE_DIR = join(ROOT, 'template', TEMPLATE_LANG);

const dockerfile = () => dockerfileInstructions(join(TEMPLATE_DIR, 'Dockerfile'));
const stackCopy = () =>
  (
    parse(readFileSync(join(ROOT, 'stack.yml'), 'utf8'), { version: '1.1' }) as {
      configuration: { copy: string[] };
    }
  ).configuration.copy;

describe(`template/${TEMPLATE_LANG}`, () => {
  it('has a template.yml naming the language and the process of-watchdog forks', () => {
    const template = parse(readFileSync(join(TEMPLATE_DIR, 'template.yml'), 'utf8')) as Record<
      string,
      string
    >;
    expect(template.language).toBe(TEMPLATE_LANG);
    expect(template.fprocess).toBe('node index.mjs');
    expect(existsSync(join(TEMPLATE_DIR, 'Dockerfile'))).toBe(true);
    expect(existsSync(join(TEMPLATE_DIR, '.dockerignore'))).toBe(true);
  });

  it('copies only files that exist in the faas-cli build context', () => {
    // faas-cli puts the handler folder in function/, then the `configuration.copy` paths under it.
    const copied = stackCopy().map((path) => path.replace(/^\.\//, ''));
    const sources = dockerfile()
      .filter(({ keyword, args }) => keyword === 'COPY' && !args.includes('--from='))
      .flatMap(({ args }) => args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(source, source).toMatch(/^function\//);
      const path = source.replace(/^function\//, '').replace(/\/$/, '');
      expect(
        copied.some((entry) => path === entry || path.startsWith(`${entry}/`)),
        `${source} is not in stack.yml configuration.copy`,
      ).toBe(true);
      expect(existsSync(join(ROOT, path)), `${path} exists`).toBe(true);
    }
  });

  it('builds with the bundler script and runs non-root behind a pinned of-watchdog in http mode', () => {
    const steps = dockerfile();
    const args = Object.fromEntries(
      steps.filter(({ keyword }) => keyword === 'ARG').map(({ args }) => args.split('=') as [string, string]),
    );
    expect(args.NODE_IMAGE).toMatch(/^node:22\.\d+\.\d+-bookworm-slim$/);
    expect(args.WATCHDOG_IMAGE).toMatch(/^ghcr\.io\/openfaas\/of-watchdog:\d+\.\d+\.\d+$/);
    expect(
      steps.filter(({ keyword }) => keyword === 'FROM').map(({ args }) => args.split(' AS ')[1]),
    ).toEqual(['watchdog', 'build', 'ship']);

    const run = steps.filter(({ keyword }) => keyword === 'RUN').map(({ args }) => args);
    expect(run.some((command) => command.includes(`scripts/build-functions.ts "\${FUNCTION_NAME}"`))).toBe(
      true,
    );
    expect(existsSync(join(ROOT, 'scripts/build-functions.ts'))).toBe(true);

    const users = steps.filter(({ keyword }) => keyword === 'USER').map(({ args }) => args);
    expect(users.at(-1)).toBe('app');

    const env = Object.assign(
      {},
      ...steps.filter(({ keyword }) => keyword === 'ENV').map(({ args }) => envPairs(args)),
    );
    expect(env).toMatchObject({
      mode: 'http',
      upstream_url: 'http://127.0.0.1:3000',
      PORT: '3000',
      HOST: '127.0.0.1',
      fprocess: 'node index.mjs',
      NODE_ENV: 'production',
    });
    for (const key of ['read_timeout', 'write_timeout', 'exec_timeout']) {
      expect(env[key], key).toBe(`${DEPLOYMENT.watchdogTimeoutSeconds}s`);
    }

    const healthcheck = steps.find(({ keyword }) => keyword === 'HEALTHCHECK');
    expect(healthcheck?.args).toContain('http://127.0.0.1:8080/_/health');
    expect(steps.at(-1)).toEqual({ keyword: 'CMD', args: '["fwatchdog"]' });
  });
});
