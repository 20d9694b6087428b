import type { AuthMode } from '@secureconnect/shared/http/define-function';
import generated from './routes.generated.json';

/** What answers one method of a public path (scripts/lib/edge-routes.ts writes the table). */
export interface RouteTarget {
  function: string;
  auth: AuthMode;
  /** The function reads a JSON body, so anything else is refused with 415 before it travels. */
  json: boolean;
}

interface Route {
  path: string;
  pattern: RegExp;
  methods: Readonly<Record<string, RouteTarget>>;
}

/** The outcome of looking a request up: a target, or which methods the path would allow. */
export type RouteMatch =
  | { kind: 'target'; target: RouteTarget }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'no-route' };

/**
 * The public /v1 paths, in nginx's order (exact paths first, then patterns by fewest params), from
 * the same manifests that generate infra/nginx/routes.conf.
 */
export class RouteTable {
  readonly #routes: Route[];

  constructor(routes: readonly GeneratedRoute[]) {
    this.#routes = routes.map((route) => ({ ...route, pattern: new RegExp(route.pattern) }));
  }

  match(method: string, path: string): RouteMatch {
    const route = this.#routes.find((candidate) => candidate.pattern.test(path));
    if (!route) return { kind: 'no-route' };
    const target = route.methods[method];
    return target
      ? { kind: 'target', target }
      : { kind: 'method-not-allowed', allow: Object.keys(route.methods) };
  }
}

type GeneratedRoute = { path: string; pattern: string; methods: Record<string, RouteTarget> };

/**
 * The table generated from this repository's manifests. JSON types its methods as strings; the
 * generator writes only AuthMode values, and scripts/generated-files.test.ts keeps it current.
 */
export const ROUTES = new RouteTable(generated as unknown as GeneratedRoute[]);
