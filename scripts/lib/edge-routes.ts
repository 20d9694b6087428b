import type { AnyFunction } from '@secureconnect/shared/http/define-function';
import { methodDispatch, pathRegex, routeTable } from './routes';

/** The edge router's route table, beside its sources (edge/src/route-table.ts reads it). */
export const EDGE_ROUTES_FILE = 'edge/src/routes.generated.json';

/**
 * edge/src/routes.generated.json: the route table nginx's routes.conf is rendered from, as data —
 * per public path its anchored regex and, per method (HEAD and OPTIONS dispatched as nginx does),
 * the function, who may call it, and whether it reads a JSON body. OPTIONS is a CORS preflight,
 * which never carries credentials, so it is public whatever the function is.
 */
export function renderEdgeRoutes(functions: AnyFunction[]): string {
  const byName = new Map(functions.map((fn) => [fn.name, fn]));
  const routes = routeTable(functions).map((route) => ({
    path: route.path,
    pattern: pathRegex(route.path),
    methods: Object.fromEntries(
      methodDispatch(route).map(([method, name]) => {
        const fn = byName.get(name) as AnyFunction;
        const preflight = method === 'OPTIONS';
        return [
          method,
          {
            function: name,
            auth: preflight ? 'public' : fn.auth,
            json: !preflight && method !== 'HEAD' && fn.request.body !== undefined,
          },
        ];
      }),
    ),
  }));
  return `${JSON.stringify(routes, null, 2)}\n`;
}
