import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Reads a secret that embedded mode keeps under DATA_DIR, creating it from `generate()` the first
 * time, so it survives restarts and every process sharing DATA_DIR agrees on it. The file is
 * written whole to a private temporary file (mode 0600), then hard-linked into place: link()
 * fails if another process got there first, and nobody ever reads a half-written secret.
 * Filesystem errors are thrown as they are; callers name the secret in their own ConfigError.
 */
export async function readOrCreateSecretFile(
  path: string,
  generate: () => Promise<string | Uint8Array> | string | Uint8Array,
): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomUUID()}.tmp`;
  await writeFile(temporary, await generate(), { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temporary);
  }
  return readFile(path);
}
