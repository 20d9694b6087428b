import { loadConfig } from '@secureconnect/shared/config/env';
import { type AnyFunction, requiredDependencies } from '@secureconnect/shared/http/define-function';
import type { Dependency } from '@secureconnect/shared/platform/platform';
import { stringify } from 'yaml';

/** The OpenFaaS template every function builds with (template/secureconnect-hono). */
export const TEMPLATE_LANG = 'secureconnect-hono';

/** Where OpenFaaS mounts a function's secrets, one file per secret. */
export const SECRETS_DIR = '/var/openfaas/secrets';

/** An OpenFaaS secret and the variable that reads it as `NAME_FILE`. */
export interface Secret {
  secret: string;
  variable: string;
}

const DATABASE_URL: Secret = { secret: 'database-url', variable: 'DATABASE_URL' };
const REDIS_URL: Secret = { secret: 'redis-url', variable: 'REDIS_URL' };
const SMTP_URL: Secret = { secret: 'smtp-url', variable: 'SMTP_URL' };
const JWT_PRIVATE_KEY: Secret = { secret: 'jwt-private-key', variable: 'JWT_PRIVATE_KEY' };
const JWT_PUBLIC_KEY: Secret = { secret: 'jwt-public-key', variable: 'JWT_PUBLIC_KEY' };
const S3_ACCESS_KEY_ID: Secret = { secret: 's3-access-key-id', variable: 'S3_ACCESS_KEY_ID' };
const S3_SECRET_ACCESS_KEY: Secret = { secret: 's3-secret-access-key', variable: 'S3_SECRET_ACCESS_KEY' };
const LIVEKIT_API_KEY: Secret = { secret: 'livekit-api-key', variable: 'LIVEKIT_API_KEY' };
const LIVEKIT_API_SECRET: Secret = { secret: 'livekit-api-secret', variable: 'LIVEKIT_API_SECRET' };
const TURN_SECRET: Secret = { secret: 'turn-secret', variable: 'TURN_SECRET' };
const FCM_SERVICE_ACCOUNT: Secret = { secret: 'fcm-service-account', variable: 'FCM_SERVICE_ACCOUNT' };
const APNS_KEY: Secret = { secret: 'apns-key', variable: 'APNS_KEY' };
const AI_API_KEY: Secret = { secret: 'ai-api-key', variable: 'AI_API_KEY' };
const CASSANDRA_PASSWORD: Secret = { secret: 'cassandra-password', variable: 'CASSANDRA_PASSWORD' };

/** Every secret a function may be given. */
export const SECRETS: readonly Secret[] = [
  DATABASE_URL,
  REDIS_URL,
  SMTP_URL,
  JWT_PRIVATE_KEY,
  JWT_PUBLIC_KEY,
  S3_ACCESS_KEY_ID,
  S3_SECRET_ACCESS_KEY,
  LIVEKIT_API_KEY,
  LIVEKIT_API_SECRET,
  TURN_SECRET,
  FCM_SERVICE_ACCOUNT,
  APNS_KEY,
  AI_API_KEY,
  CASSANDRA_PASSWORD,
];

/**
 * The secrets behind each dependency a manifest can declare. Only functions that issue tokens
 * (`signing-key`) are given the private key. Keyed by name rather than typed as
 * Record<Dependency, …> so a new dependency fails generation with a message pointing here.
 */
export const SECRETS_BY_DEPENDENCY: Readonly<Record<string, readonly Secret[]>> = {
  sql: [DATABASE_URL],
  kv: [REDIS_URL],
  mail: [SMTP_URL],
  'signing-key': [JWT_PRIVATE_KEY],
  'verify-key': [JWT_PUBLIC_KEY],
  // Messages live in SQL unless CASSANDRA_CONTACT_POINTS is set; an empty password reads as unset.
  messages: [DATABASE_URL, CASSANDRA_PASSWORD],
  // Realtime events travel over Redis pub/sub.
  events: [REDIS_URL],
  blobs: [S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY],
  // Optional integrations: an empty secret reads as unset (P2P calls, notifications to the log).
  calls: [LIVEKIT_API_KEY, LIVEKIT_API_SECRET, TURN_SECRET],
  push: [],
  'push-providers': [FCM_SERVICE_ACCOUNT, APNS_KEY],
  // Optional too: without AI_BASE_URL and AI_MODEL the AI helpers answer 503; local servers take no key.
  ai: [AI_API_KEY],
};

/**
 * Plain (non-secret) settings behind a dependency, filled in by faas-cli from the deploying
 * shell's environment. An unset S3_ENDPOINT arrives empty, which the configuration reads as
 * unset (AWS S3 for S3_REGION).
 */
export const ENVIRONMENT_BY_DEPENDENCY: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  // Links in account emails, and their sender.
  mail: {
    PUBLIC_BASE_URL: `\${PUBLIC_BASE_URL}`,
    MAIL_FROM: `\${MAIL_FROM}`,
  },
  // Every process that reads or writes messages must agree on the store: the realtime gateway
  // is deployed with the same values.
  messages: {
    CASSANDRA_CONTACT_POINTS: `\${CASSANDRA_CONTACT_POINTS}`,
    CASSANDRA_LOCAL_DC: `\${CASSANDRA_LOCAL_DC:-datacenter1}`,
    CASSANDRA_USERNAME: `\${CASSANDRA_USERNAME}`,
  },
  blobs: {
    S3_ENDPOINT: `\${S3_ENDPOINT}`,
    S3_PUBLIC_ENDPOINT: `\${S3_PUBLIC_ENDPOINT}`,
    S3_BUCKET: `\${S3_BUCKET:-secureconnect-drive}`,
    S3_REGION: `\${S3_REGION:-us-east-1}`,
    S3_FORCE_PATH_STYLE: `\${S3_FORCE_PATH_STYLE:-on}`,
  },
  calls: {
    LIVEKIT_URL: `\${LIVEKIT_URL}`,
    LIVEKIT_API_URL: `\${LIVEKIT_API_URL}`,
    TURN_URLS: `\${TURN_URLS}`,
  },
  // Announcements go to push-dispatch through the OpenFaaS gateway's asynchronous queue.
  push: {
    PUSH_DISPATCH_URL: `\${PUSH_DISPATCH_URL:-http://gateway.openfaas:8080/async-function/push-dispatch}`,
  },
  'push-providers': {
    APNS_KEY_ID: `\${APNS_KEY_ID}`,
    APNS_TEAM_ID: `\${APNS_TEAM_ID}`,
    APNS_TOPIC: `\${APNS_TOPIC}`,
    APNS_URL: `\${APNS_URL:-https://api.push.apple.com}`,
  },
  ai: {
    AI_BASE_URL: `\${AI_BASE_URL}`,
    AI_MODEL: `\${AI_MODEL}`,
  },
};

/** The secrets a function needs: those of requiredDependencies(fn), by secret name. */
export function secretsFor(fn: AnyFunction): Secret[] {
  return secretsOf(fn.name, requiredDependencies([fn]));
}

/** The secrets behind some dependencies, sorted by secret name; `owner` names them in the error. */
export function secretsOf(owner: string, dependencies: readonly Dependency[]): Secret[] {
  const secrets = new Map<string, Secret>();
  for (const dependency of dependencies) {
    const mapped = SECRETS_BY_DEPENDENCY[dependency];
    if (!mapped) {
      throw new Error(
        `${owner}: no deployment secrets for dependency "${dependency}": add it to SECRETS_BY_DEPENDENCY in scripts/lib/stack.ts`,
      );
    }
    for (const secret of mapped) secrets.set(secret.secret, secret);
  }
  return [...secrets.values()].sort((a, b) => a.secret.localeCompare(b.secret));
}

const defaults = loadConfig({});
const watchdogTimeoutSeconds = Math.ceil(defaults.REQUEST_TIMEOUT_MS / 1000) + 5;

/**
 * Timeouts and limits of the request path, from the inside out, each past the one it wraps so
 * the innermost answer (the function's own 504 or 413 problem+json) is the one clients get:
 * function (REQUEST_TIMEOUT_MS) < of-watchdog (read/write/exec timeouts) < router (nginx).
 * The OpenFaaS gateway sits between watchdog and router; its timeouts must be set to at least
 * the watchdog's (template/secureconnect-hono/README.md).
 */
export const DEPLOYMENT = {
  requestTimeoutMs: defaults.REQUEST_TIMEOUT_MS,
  bodyLimitBytes: defaults.BODY_LIMIT_BYTES,
  watchdogTimeoutSeconds,
  routerTimeoutSeconds: watchdogTimeoutSeconds + 5,
  memory: { limit: '128Mi', request: '64Mi' },
  cpu: { limit: '500m', request: '50m' },
  scale: { min: 1, max: 20 },
} as const;

/**
 * What every deployed process is given, whatever it serves (stack.yml, and the compose file's
 * application services through scripts/lib/compose.ts).
 */
export const COMMON_ENVIRONMENT: Readonly<Record<string, string>> = {
  LOG_LEVEL: `\${LOG_LEVEL:-info}`,
  JWT_ISSUER: `\${JWT_ISSUER:-${defaults.JWT_ISSUER}}`,
  JWT_AUDIENCE: `\${JWT_AUDIENCE:-${defaults.JWT_AUDIENCE}}`,
  // Requests reach a function through the router and the gateway: the client is the first
  // X-Forwarded-For hop, which the router sets (infra/nginx/nginx.conf).
  TRUST_PROXY: 'on',
  REQUEST_TIMEOUT_MS: String(DEPLOYMENT.requestTimeoutMs),
  BODY_LIMIT_BYTES: String(DEPLOYMENT.bodyLimitBytes),
};

/**
 * Copied into every function's build context beside its handler folder (faas-cli's
 * `configuration.copy`), so the template's build stage sees the whole workspace and bundles
 * the function with the shared code and the lockfile's exact versions.
 */
export const BUILD_CONTEXT_COPY = [
  './package.json',
  './package-lock.json',
  './tsconfig.json',
  './shared',
  './functions',
  './realtime-gateway',
  './scripts',
];

const HEADER = `# Generated by \`npm run generate\` from the function manifests (functions/*/handler.ts): do not edit.
# A test (scripts/generated-files.test.ts) fails when this file and the manifests disagree.
# Deploy: faas-cli template is local (template/${TEMPLATE_LANG}); see its README.
#   REGISTRY=ghcr.io/you TAG=v1 faas-cli up -f stack.yml
`;

function functionEntry(fn: AnyFunction) {
  const secrets = secretsFor(fn);
  const timeout = `${DEPLOYMENT.watchdogTimeoutSeconds}s`;
  return {
    lang: TEMPLATE_LANG,
    handler: `./functions/${fn.name}`,
    image: `\${REGISTRY:-ghcr.io/secureconnect}/${fn.name}:\${TAG:-latest}`,
    build_args: { FUNCTION_NAME: fn.name },
    labels: {
      'com.openfaas.scale.min': String(DEPLOYMENT.scale.min),
      'com.openfaas.scale.max': String(DEPLOYMENT.scale.max),
      'secureconnect.auth': fn.auth,
    },
    // The route is an annotation, not a label: faas-netes copies labels onto Kubernetes objects,
    // whose label values cannot hold spaces or slashes.
    annotations: {
      ...(fn.internal
        ? { 'secureconnect.internal': 'true' }
        : { 'secureconnect.route': `${fn.method} ${fn.path}` }),
      // OpenFaaS's cron-connector invokes functions that carry these two.
      ...(fn.schedule ? { topic: 'cron-function', schedule: fn.schedule } : {}),
      'com.openfaas.health.http.path': '/_/health',
      'com.openfaas.ready.http.path': '/_/ready',
      'secureconnect.summary': fn.summary,
    },
    environment: {
      ...COMMON_ENVIRONMENT,
      read_timeout: timeout,
      write_timeout: timeout,
      exec_timeout: timeout,
      ...Object.fromEntries(
        requiredDependencies([fn]).flatMap((dependency) =>
          Object.entries(ENVIRONMENT_BY_DEPENDENCY[dependency] ?? {}),
        ),
      ),
      ...Object.fromEntries(
        secrets.map(({ secret, variable }) => [`${variable}_FILE`, `${SECRETS_DIR}/${secret}`]),
      ),
    },
    secrets: secrets.map(({ secret }) => secret),
    limits: { memory: DEPLOYMENT.memory.limit, cpu: DEPLOYMENT.cpu.limit },
    requests: { memory: DEPLOYMENT.memory.request, cpu: DEPLOYMENT.cpu.request },
  };
}

/** stack.yml as data: provider, the build-context copy list, one entry per function by name. */
export function stackDocument(functions: AnyFunction[]) {
  const sorted = [...functions].sort((a, b) => a.name.localeCompare(b.name));
  return {
    version: '1.0',
    provider: { name: 'openfaas', gateway: `\${OPENFAAS_URL:-http://127.0.0.1:8080}` },
    configuration: { copy: BUILD_CONTEXT_COPY },
    functions: Object.fromEntries(sorted.map((fn) => [fn.name, functionEntry(fn)])),
  };
}

/**
 * stack.yml as written to the repository. Serialized as YAML 1.1, the dialect of faas-cli's Go
 * parser, so values such as `on` are quoted and stay strings.
 */
export function renderStack(functions: AnyFunction[]): string {
  return HEADER + stringify(stackDocument(functions), { version: '1.1', lineWidth: 0 });
}
