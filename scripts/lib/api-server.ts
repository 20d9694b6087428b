import { type BootedServer, bootFunctions } from '@secureconnect/shared/http/boot';
import type { AnyFunction } from '@secureconnect/shared/http/define-function';
import { runScheduledFunctions, scheduleIntervalMs } from './scheduled-functions';

/**
 * The single-host `api` container (docker-compose.production.yml): every function in one process
 * under both addressings, so the router reaches `/function/<name>/…` on it as it would reach the
 * OpenFaaS gateway. Unlike the dev server it serves no `/docs` or `/openapi.json` and no
 * WebSockets (the realtime gateway is its own container), and runs the scheduled functions on
 * their manifests' schedules, since no cron-connector runs beside it. Run one replica: a second
 * would sweep too (harmless, but twice the work). Stores come from the environment only; with
 * NODE_ENV=production (the image's) a missing one stops the process with one line.
 */
export async function startApiServer(
  functions: AnyFunction[],
  options: { env?: NodeJS.ProcessEnv; handleSignals?: boolean } = {},
): Promise<BootedServer> {
  // Read before listening, so an unsupported schedule stops the process before it serves.
  const periods = new Map(functions.filter((fn) => fn.schedule).map((fn) => [fn, scheduleIntervalMs(fn)]));
  const booted = await bootFunctions({ service: 'api', functions, ...options });
  const timers = runScheduledFunctions(booted, functions, (fn) => periods.get(fn)!);
  return {
    ...booted,
    async close() {
      for (const timer of timers) clearInterval(timer);
      await booted.close();
    },
  };
}
