import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AnyFunction } from '@secureconnect/shared/http/define-function';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const FUNCTIONS_DIR = join(ROOT, 'functions');

/** Folder names under functions/, sorted; each is one function. */
export function functionNames(): string[] {
  return readdirSync(FUNCTIONS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** Loads every function's definition; a folder whose manifest names another function is an error. */
export async function loadFunctions(): Promise<AnyFunction[]> {
  return Promise.all(
    functionNames().map(async (name) => {
      const module = (await import(pathToFileURL(join(FUNCTIONS_DIR, name, 'handler.ts')).href)) as {
        default: AnyFunction;
      };
      if (module.default?.name !== name)
        throw new Error(`functions/${name}/handler.ts must default-export the function named ${name}`);
      return module.default;
    }),
  );
}
