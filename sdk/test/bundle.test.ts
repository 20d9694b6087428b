import { resolve } from 'node:path';
import { build } from 'esbuild';
import { expect, it } from 'vitest';

const SDK = resolve(import.meta.dirname, '..');

it('bundles from its own sources alone: the schema types it imports are erased, no server code ships', async () => {
  const result = await build({
    entryPoints: [resolve(SDK, 'src/index.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    metafile: true,
    absWorkingDir: SDK,
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.length).toBeGreaterThan(0);
  expect(inputs.filter((input) => !input.startsWith('src/'))).toEqual([]);
});
