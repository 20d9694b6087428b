import type { BootedServer } from '@secureconnect/shared/http/boot';
import type { AnyFunction } from '@secureconnect/shared/http/define-function';

/**
 * The period of a manifest's cron `schedule`, for processes that run scheduled functions
 * themselves. Only the forms our manifests use: every minute (`* * * * *`) and every N minutes
 * (`*\/N * * * *`); anything else throws, naming the function (a test runs this on every manifest).
 */
export function scheduleIntervalMs(fn: AnyFunction): number {
  const match = /^(\*|\*\/([1-9]\d*)) \* \* \* \*$/.exec(fn.schedule ?? '');
  if (!match) {
    throw new Error(
      `${fn.name}: schedule ${JSON.stringify(fn.schedule)} is not "* * * * *" or "*/N * * * *" (scripts/lib/scheduled-functions.ts)`,
    );
  }
  return Number(match[2] ?? 1) * 60_000;
}

/**
 * No cron-connector runs beside `npm start` or the single-host `api` container: they call their
 * scheduled functions themselves, every `everyMs(fn)`, through their OpenFaaS address as the
 * connector would. The timers do not keep the process alive.
 */
export function runScheduledFunctions(
  booted: BootedServer,
  functions: AnyFunction[],
  everyMs: (fn: AnyFunction) => number,
): NodeJS.Timeout[] {
  return functions
    .filter((fn) => fn.schedule)
    .map((fn) => {
      const timer = setInterval(async () => {
        try {
          await booted.app.request(`/function/${fn.name}${fn.path === '/' ? '' : fn.path}`, {
            method: fn.method,
          });
        } catch (error) {
          booted.platform.logger.warn({ err: error, function: fn.name }, 'scheduled run failed');
        }
      }, everyMs(fn));
      timer.unref();
      return timer;
    });
}
