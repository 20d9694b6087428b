import { type AnyFunction, requiredDependencies } from '@secureconnect/shared/http/define-function';

/**
 * Runs first in every bundle (see bundle.ts). Production images do not install the embedded
 * PGlite (an optional peer of the bundle), so a function that needs SQL but got no DATABASE_URL
 * stops here with one line naming the variable, as a bad configuration does (SPEC §4), instead of
 * serving 503s because a module is missing.
 */
export function assertStoresInstalled(fn: AnyFunction, expectedName: string): void {
  if (fn?.name !== expectedName)
    fail(expectedName, `bundle: the handler does not export the function ${expectedName}`);
  if (!requiredDependencies([fn]).includes('sql')) return;
  if (process.env.DATABASE_URL || process.env.DATABASE_URL_FILE) return;
  if (canResolve('@electric-sql/pglite') && canResolve('kysely-pglite')) return;
  fail(
    fn.name,
    'DATABASE_URL: required (this image has no embedded PGlite; set DATABASE_URL or DATABASE_URL_FILE)',
  );
}

function canResolve(specifier: string): boolean {
  try {
    import.meta.resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

function fail(service: string, message: string): never {
  process.stderr.write(`${service}: configuration error: ${message}\n`);
  process.exit(1);
}
