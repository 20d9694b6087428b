import type { AnyFunction } from '@secureconnect/shared/http/define-function';

/**
 * The OpenFaaS gateway as Prometheus reaches it inside the cluster (faas-netes' service in the
 * `openfaas` namespace; the same address stack.yml gives PUSH_DISPATCH_URL).
 */
export const OPENFAAS_GATEWAY = 'gateway.openfaas:8080';

/** One Prometheus file_sd entry. */
export interface FileSdTarget {
  targets: string[];
  labels: Record<string, string>;
}

/**
 * infra/prometheus/functions.json: one scrape target per function, through the OpenFaaS gateway at
 * `/function/<name>/metrics` (createApp serves /metrics under both addressings), labelled with the
 * function's name. The gateway forwards each scrape to one replica, so this list is exact while a
 * function runs one replica and only samples it beyond (see infra/prometheus/prometheus-openfaas.yml
 * and docs/operations/monitoring.md). Internal functions are listed too: the router hides them, the
 * gateway does not.
 */
export function functionTargets(functions: AnyFunction[]): FileSdTarget[] {
  return [...functions]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((fn) => ({
      targets: [OPENFAAS_GATEWAY],
      labels: { function: fn.name, __metrics_path__: `/function/${fn.name}/metrics` },
    }));
}

/** The file's text: JSON (file_sd takes no comments), two-space indented, one trailing newline. */
export function renderFunctionTargets(functions: AnyFunction[]): string {
  return `${JSON.stringify(functionTargets(functions), null, 2)}\n`;
}
