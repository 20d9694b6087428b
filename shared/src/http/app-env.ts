import type { RequestIdVariables } from 'hono/request-id';

/** Per-request variables shared by the app factory's middleware. */
export interface AppEnv {
  Variables: RequestIdVariables & {
    /** Set by the function that matched; labels logs and metrics. */
    functionName?: string;
    /** The route template (never the raw path, to keep metric cardinality bounded). */
    route?: string;
    userId?: string;
    /** An unexpected error, kept for the request's log line. */
    failure?: unknown;
  };
}
