import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { it } from 'vitest';

/** The first of `names` on PATH, or in the sbin directories a non-root PATH often lacks. */
export function findBinary(...names: string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const name of names) {
    const found = dirs.map((dir) => join(dir, name)).find((path) => path.startsWith('/') && existsSync(path));
    if (found) return found;
  }
  return undefined;
}

/**
 * Tests that need a validator skip where it is missing, except on CI (`.ci/run` installs it and
 * sets CI): there a missing one is a failing test, never a silent skip.
 */
export function requiredOnCi(binary: string, found: string | undefined, debianPackage: string, why: string) {
  if (found || !process.env.CI) return;
  it(`has ${binary} installed on CI`, () => {
    throw new Error(`${binary} not found (Debian package ${debianPackage}): ${why}`);
  });
}
