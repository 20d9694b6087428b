import { integer, parseSettings, rateLimit, url } from '@secureconnect/shared/config/fields';
import * as v from 'valibot';

const HTTP = ['http:', 'https:'];

/**
 * The edge router's settings: Worker bindings (wrangler.toml `[vars]` and secrets on a managed
 * platform; environment variables under `npm run edge`). Names match the Node processes' where the
 * meaning is the same.
 */
const EdgeBindingsSchema = v.object({
  /** Where /v1 requests go: the router (nginx, the api container, the dev server) or an OpenFaaS gateway. */
  UPSTREAM_URL: v.nonOptional(url(HTTP), 'is required'),
  /** `router`: the upstream serves the public /v1 paths itself; `openfaas`: send to /function/<name>/v1/…. */
  UPSTREAM_KIND: v.optional(v.picklist(['router', 'openfaas'], 'must be router or openfaas'), 'router'),
  /** Where /v1/realtime WebSocket upgrades go (the gateways' load balancer); UPSTREAM_URL when unset. */
  REALTIME_URL: url(HTTP),
  UPSTREAM_TIMEOUT_MS: integer(30_000, 1, 600_000),
  JWT_PUBLIC_KEY: v.pipe(
    v.string('is required (the public key(s) access tokens are signed with)'),
    v.includes('PUBLIC KEY', 'must be a PEM public key'),
  ),
  JWT_ISSUER: v.optional(v.pipe(v.string(), v.nonEmpty()), 'secureconnect'),
  JWT_AUDIENCE: v.optional(v.pipe(v.string(), v.nonEmpty()), 'secureconnect-api'),
  UPSTASH_REDIS_REST_URL: url(HTTP),
  UPSTASH_REDIS_REST_TOKEN: v.optional(v.pipe(v.string(), v.nonEmpty())),
  /** Requests per client IP, over every route (the gateway upgrade included). */
  EDGE_RATE_LIMIT_IP: rateLimit('600/60'),
  /** Requests per authenticated user, over every route that needs a token. */
  EDGE_RATE_LIMIT_USER: rateLimit('1200/60'),
  /** How long a rate-limit check may wait on Upstash before the request passes unchecked. */
  EDGE_RATE_LIMIT_TIMEOUT_MS: integer(500, 1, 10_000),
  BODY_LIMIT_BYTES: integer(1024 * 1024, 1024, 100 * 1024 * 1024),
  /**
   * The header the platform puts the client's address in. Cloudflare sets CF-Connecting-IP and
   * overwrites any a client sends; behind anything else, name the header your proxy sets.
   */
  CLIENT_IP_HEADER: v.optional(v.pipe(v.string(), v.toLowerCase(), v.nonEmpty()), 'cf-connecting-ip'),
});

const EdgeSettingsSchema = v.pipe(
  EdgeBindingsSchema,
  v.forward(
    v.check(
      (settings) =>
        (settings.UPSTASH_REDIS_REST_URL === undefined) === (settings.UPSTASH_REDIS_REST_TOKEN === undefined),
      'UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN go together',
    ),
    ['UPSTASH_REDIS_REST_TOKEN'],
  ),
);

export type EdgeSettings = v.InferOutput<typeof EdgeSettingsSchema>;

const SECRETS = ['UPSTASH_REDIS_REST_TOKEN'];

/**
 * Reads the settings from the Worker's bindings.
 *
 * @throws ConfigError naming the first bad or missing binding.
 */
export function loadEdgeSettings(bindings: Record<string, unknown>): EdgeSettings {
  const source = Object.fromEntries(
    Object.entries(bindings).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
  return parseSettings(EdgeSettingsSchema, Object.keys(EdgeBindingsSchema.entries), source, SECRETS);
}
