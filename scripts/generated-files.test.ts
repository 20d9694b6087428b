import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnyFunction } from '@secureconnect/shared/http/define-function';
import { publicFunctions, requiredDependencies } from '@secureconnect/shared/http/define-function';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './lib/function-catalog';
import { functionNamesIn, GENERATED_FILES, generatedContents, loadFunctionsIn } from './lib/generated';
import { pathRegex, routeTable } from './lib/routes';
import { DEPLOYMENT, SECRETS, SECRETS_DIR, secretsFor, stackDocument } from './lib/stack';

let functions: AnyFunction[];
beforeAll(async () => {
  functions = await loadFunctionsIn(ROOT);
});

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface StackFunction {
  lang: string;
  handler: string;
  image: string;
  build_args: Record<string, string>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  environment: Record<string, unknown>;
  secrets: string[];
  limits: { memory: string; cpu: string };
  requests: { memory: string; cpu: string };
}

// faas-cli reads stack.yml with a YAML 1.1 parser: parse it the same way.
const stack = () =>
  parse(read('stack.yml'), { version: '1.1' }) as {
    provider: { name: string; gateway: string };
    configuration: { copy: string[] };
    functions: Record<string, StackFunction>;
  };

describe('generated deployment files', () => {
  it.each(GENERATED_FILES)('%s is what the manifests generate', (path) => {
    const expected = generatedContents(functions)[path];
    const actual = read(path);
    if (actual !== expected) {
      expect.fail(
        `${path} is out of date with the function manifests: run npm run generate (and commit the result)`,
      );
    }
  });

  it('lists every function folder exactly once in stack.yml', () => {
    const names = functionNamesIn(ROOT);
    expect(names.length).toBeGreaterThan(0);
    expect(Object.keys(stack().functions).sort()).toEqual(names);
    expect(functions.map((fn) => fn.name)).toEqual(names);
  });

  it('gives every public method and path to exactly one function, and routes no internal one', () => {
    const exposed = publicFunctions(functions);
    const routes = exposed.map((fn) => `${fn.method} ${fn.path}`);
    expect(new Set(routes).size).toBe(routes.length);
    const table = routeTable(functions);
    expect(table.reduce((count, route) => count + route.methods.size, 0)).toBe(exposed.length);
    const routed = new Set(table.flatMap((route) => [...route.methods.values()]));
    for (const fn of functions.filter((each) => each.internal)) expect(routed.has(fn.name)).toBe(false);
  });
});

describe('stack.yml', () => {
  it('deploys each function from its folder with the template, image, route and limits', () => {
    const { provider, functions: entries } = stack();
    expect(provider).toEqual({ name: 'openfaas', gateway: `\${OPENFAAS_URL:-http://127.0.0.1:8080}` });
    for (const fn of functions) {
      const entry = entries[fn.name] as StackFunction;
      expect(entry.lang).toBe('secureconnect-hono');
      expect(entry.handler).toBe(`./functions/${fn.name}`);
      expect(entry.image).toBe(`\${REGISTRY:-ghcr.io/secureconnect}/${fn.name}:\${TAG:-latest}`);
      expect(entry.build_args).toEqual({ FUNCTION_NAME: fn.name });
      expect(entry.annotations['secureconnect.route']).toBe(
        fn.internal ? undefined : `${fn.method} ${fn.path}`,
      );
      expect(entry.annotations['secureconnect.internal']).toBe(fn.internal ? 'true' : undefined);
      // OpenFaaS's cron-connector runs what carries these.
      expect([entry.annotations.topic, entry.annotations.schedule]).toEqual(
        fn.schedule ? ['cron-function', fn.schedule] : [undefined, undefined],
      );
      expect(entry.labels['com.openfaas.scale.min']).toBe('1');
      expect(entry.limits.memory).toBe('128Mi');
      expect(entry.requests.memory).toBe('64Mi');
    }
  });

  it('keeps label values valid Kubernetes label values (faas-netes copies them onto pods)', () => {
    for (const entry of Object.values(stack().functions)) {
      for (const value of Object.values(entry.labels))
        expect(value).toMatch(/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/);
    }
  });

  it('mounts exactly the secrets a function needs, each read through NAME_FILE', () => {
    for (const fn of functions) {
      const entry = stack().functions[fn.name] as StackFunction;
      const needed = secretsFor(fn);
      expect(needed.length).toBeGreaterThan(0);
      expect(entry.secrets).toEqual(needed.map(({ secret }) => secret));
      for (const { secret, variable } of SECRETS) {
        const given = needed.some((each) => each.secret === secret);
        expect(entry.environment[`${variable}_FILE`], `${fn.name} ${variable}_FILE`).toBe(
          given ? `${SECRETS_DIR}/${secret}` : undefined,
        );
        // Secrets never appear as plain values.
        expect(entry.environment[variable]).toBeUndefined();
      }
    }
  });

  it('derives the secrets from requiredDependencies: SQL, KV and the public key for user functions', () => {
    const usersMe = functions.find((fn) => fn.name === 'users-me') as AnyFunction;
    expect(requiredDependencies([usersMe])).toEqual(expect.arrayContaining(['sql', 'kv', 'verify-key']));
    expect(stack().functions['users-me']?.secrets).toEqual(['database-url', 'jwt-public-key', 'redis-url']);
  });

  it('gives a function using the drive the S3 keys as secrets and the S3 settings as variables', () => {
    const drive = { ...(functions[0] as AnyFunction), name: 'files-probe', auth: 'public', uses: ['blobs'] };
    const entry = stackDocument([drive as AnyFunction]).functions['files-probe'];
    expect(entry?.secrets).toEqual(['s3-access-key-id', 's3-secret-access-key']);
    expect(entry?.environment).toMatchObject({
      S3_ACCESS_KEY_ID_FILE: `${SECRETS_DIR}/s3-access-key-id`,
      S3_SECRET_ACCESS_KEY_FILE: `${SECRETS_DIR}/s3-secret-access-key`,
      S3_BUCKET: `\${S3_BUCKET:-secureconnect-drive}`,
      S3_ENDPOINT: `\${S3_ENDPOINT}`,
    });
  });

  it('gives the JWT private key only to the functions that issue tokens', () => {
    const holders = Object.entries(stack().functions)
      .filter(([, entry]) => entry.secrets.includes('jwt-private-key'))
      .map(([name]) => name);
    const issuers = functions.filter((fn) => fn.uses.includes('signing-key')).map((fn) => fn.name);
    expect(holders.sort()).toEqual(issuers.sort());
    expect(holders.length).toBeGreaterThan(0);
    expect(holders.length).toBeLessThan(functions.length);
  });

  it('sets watchdog timeouts past REQUEST_TIMEOUT_MS, and only string environment values', () => {
    for (const entry of Object.values(stack().functions)) {
      const env = entry.environment;
      for (const value of Object.values(env)) expect(typeof value).toBe('string');
      const requestTimeoutMs = Number(env.REQUEST_TIMEOUT_MS);
      expect(requestTimeoutMs).toBe(DEPLOYMENT.requestTimeoutMs);
      for (const key of ['read_timeout', 'write_timeout', 'exec_timeout']) {
        const seconds = Number(/^(\d+)s$/.exec(String(env[key]))?.[1]);
        expect(seconds * 1000, key).toBeGreaterThan(requestTimeoutMs);
      }
      expect(env.TRUST_PROXY).toBe('on');
    }
  });

  it('copies workspace paths that exist into each build context', () => {
    for (const path of stack().configuration.copy) {
      expect(existsSync(join(ROOT, path)), path).toBe(true);
    }
  });
});

describe('infra/nginx', () => {
  it('routes.conf has one location per public path, with the exact or anchored regex match', () => {
    const routes = read('infra/nginx/routes.conf');
    for (const route of routeTable(functions)) {
      const matcher = route.path.includes(':') ? `~ ${pathRegex(route.path)}` : `= ${route.path}`;
      expect(routes.split(`location ${matcher} {`).length - 1, route.path).toBe(1);
      for (const [method, name] of route.methods) {
        expect(routes).toContain(`if ($request_method = ${method}) { set $sc_function ${name}; }`);
      }
    }
  });

  it('nginx.conf limits match the functions: body size, proxy timeouts past the watchdog', () => {
    const conf = read('infra/nginx/nginx.conf');
    expect(conf).toMatch(/^\s*include routes\.conf;$/m);
    expect(conf).toMatch(/^\s*upstream openfaas_gateway \{$/m);
    expect(Number(/client_max_body_size (\d+);/.exec(conf)?.[1])).toBe(DEPLOYMENT.bodyLimitBytes);
    expect(conf).toContain(`exceeds ${DEPLOYMENT.bodyLimitBytes} bytes`);
    for (const directive of ['proxy_read_timeout', 'proxy_send_timeout']) {
      const seconds = Number(new RegExp(`${directive} (\\d+)s;`).exec(conf)?.[1]);
      expect(seconds, directive).toBe(DEPLOYMENT.routerTimeoutSeconds);
      expect(seconds, directive).toBeGreaterThan(DEPLOYMENT.watchdogTimeoutSeconds);
    }
    expect(conf).toMatch(/proxy_set_header X-Request-Id \$sc_request_id;/);
    expect(conf).toMatch(/proxy_set_header X-Forwarded-For \$remote_addr;/);
  });
});
