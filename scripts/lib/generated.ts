import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyFunction } from '@secureconnect/shared/http/define-function';
import { COMPOSE_APP_FILE, renderComposeApp } from './compose';
import { EDGE_ROUTES_FILE, renderEdgeRoutes } from './edge-routes';
import { renderFunctionTargets } from './prometheus';
import { renderRoutes } from './routes';
import { renderStack } from './stack';

/** Files `npm run generate` writes, relative to the repository root. */
export const GENERATED_FILES = [
  'stack.yml',
  'infra/nginx/routes.conf',
  'infra/prometheus/functions.json',
  COMPOSE_APP_FILE,
  EDGE_ROUTES_FILE,
] as const;

/** Folder names under `<root>/functions/` that hold a handler.ts, sorted. */
export function functionNamesIn(root: string): string[] {
  const dir = join(root, 'functions');
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'handler.ts')))
    .map((entry) => entry.name)
    .sort();
}

/** Imports every function under `<root>/functions/`; a manifest naming another folder is an error. */
export async function loadFunctionsIn(root: string): Promise<AnyFunction[]> {
  return Promise.all(
    functionNamesIn(root).map(async (name) => {
      const url = pathToFileURL(join(root, 'functions', name, 'handler.ts')).href;
      const module = (await import(url)) as { default?: AnyFunction };
      if (module.default?.name !== name) {
        throw new Error(`functions/${name}/handler.ts must default-export the function named ${name}`);
      }
      return module.default;
    }),
  );
}

/** What each generated file must contain for these functions. */
export function generatedContents(
  functions: AnyFunction[],
): Record<(typeof GENERATED_FILES)[number], string> {
  return {
    'stack.yml': renderStack(functions),
    'infra/nginx/routes.conf': renderRoutes(functions),
    'infra/prometheus/functions.json': renderFunctionTargets(functions),
    [COMPOSE_APP_FILE]: renderComposeApp(functions),
    [EDGE_ROUTES_FILE]: renderEdgeRoutes(functions),
  };
}

/** Regenerates the files under `root`; returns the ones whose content changed. */
export async function writeGeneratedFiles(root: string, functions: AnyFunction[]): Promise<string[]> {
  const changed: string[] = [];
  for (const [path, content] of Object.entries(generatedContents(functions))) {
    const target = join(root, path);
    const current = existsSync(target) ? await readFile(target, 'utf8') : undefined;
    if (current === content) continue;
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
    changed.push(path);
  }
  return changed;
}
