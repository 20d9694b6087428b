/**
 * What a bundle contains, read off esbuild's metafile: the externals it imports, the packages it
 * loads at start-up and the bytes each package adds. scripts/lib/bundle.ts builds; this reports.
 */
import { builtinModules } from 'node:module';
import { relative } from 'node:path';
import type { Metafile } from 'esbuild';

/** Esbuild namespace of the generated entry modules (`sc-entry:<dir>/<file>`). */
export const ENTRY = 'sc-entry';

/** Esbuild namespace of externals turned into a require on first use (scripts/lib/bundle.ts). */
export const LAZY = 'lazy-external';

export interface BundledPackage {
  /** npm package name, or `(shared)` / `(function)` for our own sources. */
  name: string;
  /** Bytes this package contributes to index.mjs. */
  bytes: number;
}

/** The package an import specifier belongs to: `@scope/name/sub` → `@scope/name`. */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** Node built-ins, and esbuild's own `<runtime>` helpers, which are no package. */
function isBuiltin(specifier: string): boolean {
  return (
    specifier.startsWith('<') ||
    specifier.startsWith('node:') ||
    builtinModules.includes(specifier.split('/')[0] ?? specifier)
  );
}

function outputOf(metafile: Metafile, root: string, file: string) {
  const output = metafile.outputs[relative(root, file)];
  if (!output) throw new Error(`esbuild metafile has no output for ${file}`);
  return output;
}

export function importedExternals(metafile: Metafile, root: string, file: string): string[] {
  const packages = outputOf(metafile, root, file)
    .imports.filter((entry) => entry.external && !isBuiltin(entry.path))
    .map((entry) => packageOf(entry.path));
  return [...new Set(packages)].sort();
}

/** The package (or `(shared)` / `(function)`) an esbuild input path belongs to. */
function inputPackage(path: string): string {
  if (path.startsWith(`${LAZY}:`)) return packageOf(path.slice(LAZY.length + 1));
  if (path.startsWith(`${ENTRY}:`)) return '(entry)';
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*\/node_modules\/)/.exec(path);
  return match?.[1] ?? (path.includes('shared/src/') ? '(shared)' : '(function)');
}

export function eagerPackages(metafile: Metafile, root: string, file: string): string[] {
  const output = outputOf(metafile, root, file);
  const entry = output.entryPoint;
  if (!entry) throw new Error(`esbuild metafile has no entry point for ${file}`);
  const packages = new Set<string>();
  // An ESM bundle hoists every static `import` of an external to its top, so those load at
  // start-up wherever in the bundle they were written.
  for (const path of Object.keys(output.inputs)) {
    for (const edge of metafile.inputs[path]?.imports ?? []) {
      if (edge.external && edge.kind === 'import-statement' && !isBuiltin(edge.path))
        packages.add(packageOf(edge.path));
    }
  }
  const seen = new Set<string>([entry]);
  const queue = [entry];
  for (let path = queue.pop(); path !== undefined; path = queue.pop()) {
    if (!path.startsWith('<') && !path.startsWith(`${ENTRY}:`)) packages.add(inputPackage(path));
    for (const edge of metafile.inputs[path]?.imports ?? []) {
      if (edge.kind !== 'import-statement' && edge.kind !== 'require-call') continue;
      if (edge.external) {
        if (!isBuiltin(edge.path)) packages.add(packageOf(edge.path));
      } else if (!seen.has(edge.path)) {
        seen.add(edge.path);
        queue.push(edge.path);
      }
    }
  }
  return [...packages].sort();
}

/** Bytes in index.mjs per npm package (the last `node_modules/<pkg>` of each input path). */
export function bundledPackages(metafile: Metafile, root: string, file: string): BundledPackage[] {
  const sizes = new Map<string, number>();
  for (const [path, input] of Object.entries(outputOf(metafile, root, file).inputs)) {
    if (path.startsWith('<') || path.startsWith(`${LAZY}:`) || path.startsWith(`${ENTRY}:`)) continue;
    const name = inputPackage(path);
    sizes.set(name, (sizes.get(name) ?? 0) + input.bytesInOutput);
  }
  return [...sizes]
    .map(([name, bytes]) => ({ name, bytes }))
    .filter(({ bytes }) => bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
}
