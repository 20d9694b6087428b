import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { ConfigError } from '../errors/config-error';
import { flag, integer, list, listOf, parseSettings, rateLimit, url } from './fields';

export { ConfigError };

export const EnvSchema = v.object({
  NODE_ENV: v.optional(v.picklist(['development', 'production', 'test']), 'development'),
  HOST: v.optional(v.string(), '0.0.0.0'),
  PORT: integer(8080, 0, 65535),
  LOG_LEVEL: v.optional(v.picklist(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
  DATA_DIR: v.optional(v.pipe(v.string(), v.nonEmpty()), './.data'),
  PUBLIC_BASE_URL: v.optional(v.pipe(v.string(), v.url('must be a URL')), 'http://localhost:8080'),

  DATABASE_URL: url(['postgres:', 'postgresql:']),
  DB_POOL_MAX: integer(10, 1, 1000),
  DB_POOL_ACQUIRE_TIMEOUT_MS: integer(2000, 1, 60_000),
  DB_STATEMENT_TIMEOUT_MS: integer(5000, 1, 600_000),
  DATABASE_PREPARED_STATEMENTS: flag('on'),

  CASSANDRA_CONTACT_POINTS: list,
  CASSANDRA_LOCAL_DC: v.optional(v.pipe(v.string(), v.nonEmpty()), 'datacenter1'),
  CASSANDRA_KEYSPACE: v.optional(
    v.pipe(v.string(), v.regex(/^[a-z][a-z0-9_]{0,47}$/, 'must be a lowercase CQL identifier')),
    'secureconnect',
  ),
  CASSANDRA_USERNAME: v.optional(v.string()),
  CASSANDRA_PASSWORD: v.optional(v.string()),
  CASSANDRA_REPLICATION_FACTOR: integer(1, 1, 9),
  CASSANDRA_READ_TIMEOUT_MS: integer(2000, 1, 60_000),

  REDIS_URL: url(['redis:', 'rediss:']),
  REDIS_KEY_PREFIX: v.optional(v.string(), 'sc:'),
  REDIS_COMMAND_TIMEOUT_MS: integer(500, 1, 60_000),

  SMTP_URL: url(['smtp:', 'smtps:']),
  MAIL_FROM: v.optional(v.string(), 'SecureConnect <no-reply@localhost>'),

  JWT_PRIVATE_KEY: v.optional(v.pipe(v.string(), v.includes('PRIVATE KEY', 'must be a PEM private key'))),
  JWT_PUBLIC_KEY: v.optional(v.pipe(v.string(), v.includes('PUBLIC KEY', 'must be a PEM public key'))),
  JWT_ISSUER: v.optional(v.pipe(v.string(), v.nonEmpty()), 'secureconnect'),
  JWT_AUDIENCE: v.optional(v.pipe(v.string(), v.nonEmpty()), 'secureconnect-api'),
  ACCESS_TOKEN_TTL_SECONDS: integer(900, 30, 900),
  REFRESH_TOKEN_TTL_SECONDS: integer(30 * 24 * 3600, 60, 365 * 24 * 3600),

  CORS_ORIGINS: list,
  TRUST_PROXY: flag('off'),
  BODY_LIMIT_BYTES: integer(1024 * 1024, 1024, 100 * 1024 * 1024),
  REQUEST_TIMEOUT_MS: integer(10_000, 1, 300_000),
  SHUTDOWN_TIMEOUT_MS: integer(10_000, 100, 120_000),

  S3_ENDPOINT: url(['http:', 'https:']),
  S3_PUBLIC_ENDPOINT: url(['http:', 'https:']),
  S3_BUCKET: v.optional(
    v.pipe(
      v.string(),
      v.trim(),
      v.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3-63 of a-z 0-9 . -)'),
    ),
  ),
  S3_REGION: v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty()), 'us-east-1'),
  S3_ACCESS_KEY_ID: v.optional(v.string()),
  S3_SECRET_ACCESS_KEY: v.optional(v.string()),
  S3_FORCE_PATH_STYLE: flag('on'),
  S3_REQUEST_TIMEOUT_MS: integer(3000, 1, 60_000),

  DRIVE_QUOTA_BYTES: integer(1024 * 1024 * 1024, 0),
  DRIVE_MAX_FILE_BYTES: integer(100 * 1024 * 1024, 1, 5 * 1024 * 1024 * 1024),
  DRIVE_ALLOWED_TYPES: v.pipe(
    listOf(
      (pattern) => /^(?:\*|[a-z0-9!#$&^_.+-]+)\/(?:\*|[a-z0-9!#$&^_.+-]+)$/i.test(pattern),
      'must be a comma-separated list of media types such as image/png, image/* or */*',
      '*/*',
    ),
    v.transform((patterns) => patterns.map((pattern) => pattern.toLowerCase())),
    v.check((patterns) => patterns.length > 0, 'must name at least one media type'),
  ),
  DRIVE_UPLOAD_URL_TTL_SECONDS: integer(300, 1, 7 * 24 * 3600),
  DRIVE_DOWNLOAD_URL_TTL_SECONDS: integer(120, 1, 7 * 24 * 3600),
  DRIVE_UPLOAD_COMPLETE_WITHIN_SECONDS: integer(3600, 1, 7 * 24 * 3600),

  LIVEKIT_URL: url(['ws:', 'wss:', 'http:', 'https:']),
  LIVEKIT_API_URL: url(['http:', 'https:']),
  LIVEKIT_API_KEY: v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty())),
  LIVEKIT_API_SECRET: v.optional(v.pipe(v.string(), v.nonEmpty())),
  CALL_TOKEN_TTL_SECONDS: integer(300, 10, 24 * 3600),
  CALL_RING_TIMEOUT_SECONDS: integer(60, 1, 3600),
  TURN_URLS: listOf(
    (url) => /^(?:turns?|stuns?):[^\s]+$/.test(url),
    'must be a comma-separated list of turn:, turns: or stun: URIs',
  ),
  TURN_SECRET: v.optional(v.pipe(v.string(), v.nonEmpty())),
  TURN_TTL_SECONDS: integer(3600, 60, 7 * 24 * 3600),

  FCM_SERVICE_ACCOUNT: v.optional(v.pipe(v.string(), v.nonEmpty())),
  FCM_API_URL: v.optional(v.pipe(v.string(), v.url('must be a URL')), 'https://fcm.googleapis.com'),
  APNS_KEY: v.optional(
    v.pipe(v.string(), v.includes('PRIVATE KEY', 'must be a PEM private key (the .p8 file)')),
  ),
  APNS_KEY_ID: v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty())),
  APNS_TEAM_ID: v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty())),
  APNS_TOPIC: v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty())),
  APNS_URL: v.optional(v.pipe(v.string(), v.url('must be a URL')), 'https://api.push.apple.com'),
  PUSH_DISPATCH_URL: url(['http:', 'https:']),

  AI_BASE_URL: url(['http:', 'https:']),
  AI_API_KEY: v.optional(v.pipe(v.string(), v.nonEmpty())),
  AI_MODEL: v.optional(v.pipe(v.string(), v.trim(), v.nonEmpty())),
  AI_TIMEOUT_MS: integer(8000, 100, 120_000),
  AI_MAX_MESSAGES: integer(50, 1, 1000),
  AI_MAX_INPUT_BYTES: integer(16 * 1024, 256, 1024 * 1024),

  GROUP_MAX_MEMBERS: integer(1024, 2, 100_000),
  MESSAGE_MAX_BYTES: integer(16 * 1024, 256, 1024 * 1024),

  REALTIME_AUTH_TIMEOUT_MS: integer(5000, 100, 60_000),
  REALTIME_SEND_BUFFER_BYTES: integer(1024 * 1024, 16 * 1024, 64 * 1024 * 1024),
  REALTIME_DEGRADED_POLL_MS: integer(2000, 100, 5000),
  REALTIME_PING_INTERVAL_MS: integer(30_000, 1000, 300_000),
  REALTIME_WRITE_COALESCE_MS: integer(25, 0, 100),

  RATE_LIMITS: flag('on'),
  RATE_LIMIT_LOGIN: rateLimit('10/60'),
  RATE_LIMIT_REGISTER: rateLimit('5/3600'),
  RATE_LIMIT_RESEND_VERIFICATION: rateLimit('3/600'),
  RATE_LIMIT_PASSWORD_RESET: rateLimit('5/3600'),
  RATE_LIMIT_SEND_MESSAGE: rateLimit('30/10'),
  RATE_LIMIT_PRESIGN: rateLimit('30/60'),
  RATE_LIMIT_KEY_BUNDLE: rateLimit('60/60'),
  RATE_LIMIT_AI: rateLimit('10/60'),
  LOCKOUT_THRESHOLD: integer(5, 1, 100),
  LOCKOUT_SECONDS: integer(15 * 60, 1, 24 * 3600),
});

/** {@link EnvSchema} and the rules that relate one variable to another. */
const ConfigSchema = v.pipe(
  EnvSchema,
  v.forward(
    v.check(
      (env) => env.DRIVE_UPLOAD_COMPLETE_WITHIN_SECONDS >= env.DRIVE_UPLOAD_URL_TTL_SECONDS,
      'must be at least DRIVE_UPLOAD_URL_TTL_SECONDS (an upload may start until its URL expires)',
    ),
    ['DRIVE_UPLOAD_COMPLETE_WITHIN_SECONDS'],
  ),
  v.forward(
    v.check(
      (env) => env.S3_BUCKET !== undefined || env.S3_ENDPOINT === undefined,
      'is required when S3_ENDPOINT is set (it selects the S3 blob store)',
    ),
    ['S3_BUCKET'],
  ),
  v.forward(
    v.check(
      (env) => (env.S3_ACCESS_KEY_ID === undefined) === (env.S3_SECRET_ACCESS_KEY === undefined),
      'must be set together with S3_ACCESS_KEY_ID (or both left unset for the default credential chain)',
    ),
    ['S3_SECRET_ACCESS_KEY'],
  ),
  v.forward(
    v.check(
      (env) =>
        env.LIVEKIT_URL === undefined ||
        (env.LIVEKIT_API_KEY !== undefined && env.LIVEKIT_API_SECRET !== undefined),
      'LIVEKIT_API_KEY and LIVEKIT_API_SECRET are required with LIVEKIT_URL',
    ),
    ['LIVEKIT_API_KEY'],
  ),
  v.forward(
    v.check(
      (env) => env.TURN_URLS.length === 0 || env.TURN_SECRET !== undefined,
      'is required with TURN_URLS (it signs the time-limited TURN credentials)',
    ),
    ['TURN_SECRET'],
  ),
  v.forward(
    v.check(
      (env) =>
        env.APNS_KEY === undefined ||
        (env.APNS_KEY_ID !== undefined && env.APNS_TEAM_ID !== undefined && env.APNS_TOPIC !== undefined),
      'APNS_KEY_ID, APNS_TEAM_ID and APNS_TOPIC are required with APNS_KEY',
    ),
    ['APNS_KEY_ID'],
  ),
  v.forward(
    v.check(
      (env) => env.AI_BASE_URL === undefined || env.AI_TIMEOUT_MS < env.REQUEST_TIMEOUT_MS,
      'must be below REQUEST_TIMEOUT_MS (a slow AI server must end in a 503, not the 504 of the whole request)',
    ),
    ['AI_TIMEOUT_MS'],
  ),
);

export type Config = v.InferOutput<typeof EnvSchema>;

/** Variables that may also be given as `NAME_FILE` (a mounted Docker/OpenFaaS secret). */
const SECRET_NAMES = [
  'DATABASE_URL',
  'REDIS_URL',
  'SMTP_URL',
  'JWT_PRIVATE_KEY',
  'JWT_PUBLIC_KEY',
  'CASSANDRA_PASSWORD',
  'S3_ACCESS_KEY_ID',
  'S3_SECRET_ACCESS_KEY',
  'LIVEKIT_API_KEY',
  'LIVEKIT_API_SECRET',
  'TURN_SECRET',
  'FCM_SERVICE_ACCOUNT',
  'APNS_KEY',
  'AI_API_KEY',
] as const;

/** Resolves `NAME_FILE` indirections; the file wins only when `NAME` itself is unset. */
function resolveSecretFiles(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const resolved: Record<string, string | undefined> = { ...env };
  for (const name of Object.keys(env)) {
    if (!name.endsWith('_FILE')) continue;
    const target = name.slice(0, -'_FILE'.length);
    if (!SECRET_NAMES.includes(target as (typeof SECRET_NAMES)[number]) || env[target] !== undefined)
      continue;
    const path = env[name] as string;
    try {
      resolved[target] = readFileSync(path, 'utf8').trim();
    } catch (error) {
      throw new ConfigError(
        `${name}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  for (const [key, value] of Object.entries(resolved)) {
    if (value === '') delete resolved[key];
  }
  return resolved;
}

/**
 * Validates the environment once at start-up.
 *
 * @example
 * const config = loadConfig(); // throws ConfigError("PORT: must be a whole number (got \"abc\")")
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return parseSettings(ConfigSchema, Object.keys(EnvSchema.entries), resolveSecretFiles(env), SECRET_NAMES);
}
