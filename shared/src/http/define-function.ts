import type { Context } from 'hono';
import type * as v from 'valibot';
import type { AccessTokenClaims } from '../auth/access-tokens';
import type { Dependency, Platform } from '../platform/platform';
import type { AnySchema, RequestSchemas, ValidatedInput } from './validation';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type AuthMode = 'public' | 'user' | 'admin';
export type SuccessStatus = 200 | 201 | 202 | 204;

/**
 * What a function is, as data: the single source for the router table, stack.yml, the OpenAPI
 * document and the docs (SPEC §3).
 */
export interface FunctionManifest {
  /** OpenFaaS function name; also the folder under functions/. */
  name: string;
  method: HttpMethod;
  /** Public path with `:param` placeholders, e.g. `/v1/users/:userId/block`. */
  path: string;
  auth: AuthMode;
  summary: string;
  description?: string;
  tags: string[];
  /** Stores and secrets the function touches; drives start-up, /readyz and stack.yml secrets. */
  uses: Dependency[];
  /**
   * Not part of the public API: the router does not route it, the OpenAPI document and the SDK
   * leave it out, and it is served only at its OpenFaaS address, `/function/<name>` + `path`.
   */
  internal?: true;
  /** Runs an internal function on a timer: a cron expression for OpenFaaS's cron-connector. */
  schedule?: string;
  /** False for a public operation that other services call, not apps (webhooks): the SDK leaves it out. */
  sdk?: false;
  /**
   * False keeps the caller's user id out of the request log, for operations whose caller must
   * stay unknown even to operators (votes, which anonymous polls never reveal).
   */
  recordCaller?: false;
}

/** Who is calling and from where; built once per request by the app factory. */
export interface RequestContext<A extends AuthMode = AuthMode> {
  platform: Platform;
  auth: A extends 'public' ? undefined : AccessTokenClaims;
  requestId: string;
  ip: string;
  userAgent: string | undefined;
  /** The raw Hono context, for the rare function that needs a header or the response. */
  c: Context;
}

/**
 * A body with a status other than the manifest's, for operations whose success has two shapes
 * (an idempotent create answers 201 the first time and 200 after).
 */
export class Reply<T> {
  constructor(
    readonly status: SuccessStatus,
    readonly body: T,
  ) {}
}

type Body<S> = S extends AnySchema ? v.InferInput<S> : undefined;

export interface FunctionDefinition<
  A extends AuthMode = AuthMode,
  R extends RequestSchemas = RequestSchemas,
  S extends AnySchema | undefined = AnySchema | undefined,
> extends FunctionManifest {
  auth: A;
  request: R;
  response: { status: SuccessStatus; schema: S; description: string };
  handle(input: ValidatedInput<R>, context: RequestContext<A>): Promise<Body<S> | Reply<Body<S>>>;
}

/** A function as the app factory and the generators see it, its generics erased. */
export type AnyFunction = FunctionDefinition<AuthMode, RequestSchemas, AnySchema | undefined>;

/**
 * Declares one HTTP operation. The handler stays thin: validated input in, a domain service
 * call, the response body out; authentication, validation, errors, logs and metrics are the
 * app factory's job.
 *
 * @example
 * export default defineFunction({
 *   name: 'users-me', method: 'GET', path: '/v1/users/me', auth: 'user',
 *   summary: 'The caller's profile', tags: ['users'], uses: ['sql'],
 *   request: {},
 *   response: { status: 200, schema: UserSchema, description: 'The profile' },
 *   handle: async (_input, { platform, auth }) => (await platform.users()).me(auth.userId),
 * });
 */
export function defineFunction<A extends AuthMode, R extends RequestSchemas, S extends AnySchema | undefined>(
  definition: FunctionDefinition<A, R, S>,
): AnyFunction {
  return definition as unknown as AnyFunction;
}

/**
 * Everything a set of functions needs at start-up: what they declare, plus what verifying
 * callers takes (the public key, and the session check in SQL and the key-value store).
 */
export function requiredDependencies(functions: AnyFunction[]): Dependency[] {
  const needed = new Set(functions.flatMap((fn) => fn.uses));
  if (functions.some((fn) => fn.auth !== 'public'))
    for (const dependency of ['sql', 'kv', 'verify-key'] as const) needed.add(dependency);
  return [...needed];
}

/** The serializable part of a definition. */
export function manifestOf(fn: AnyFunction): FunctionManifest {
  const { name, method, path, auth, summary, description, tags, uses, internal, schedule, sdk } = fn;
  return {
    name,
    method,
    path,
    auth,
    summary,
    ...(description ? { description } : {}),
    tags,
    uses,
    ...(internal ? { internal } : {}),
    ...(schedule ? { schedule } : {}),
    ...(sdk === false ? { sdk } : {}),
  };
}

/** The functions clients may call: everything but the internal ones. */
export const publicFunctions = (functions: AnyFunction[]) => functions.filter((fn) => !fn.internal);
