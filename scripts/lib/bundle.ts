import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GATEWAY_DEPENDENCIES } from '@secureconnect/realtime-gateway/server';
import { type AnyFunction, requiredDependencies } from '@secureconnect/shared/http/define-function';
import { build, type Plugin } from 'esbuild';
import {
  type BundledPackage,
  bundledPackages,
  ENTRY,
  eagerPackages,
  importedExternals,
  LAZY,
  packageOf,
} from './bundle-contents';
import { bundleManifest } from './bundle-manifest';
import { MIGRATE_DEPENDENCIES } from './compose';
import { loadFunctions, ROOT } from './function-catalog';

/**
 * Packages left out of every bundle and installed beside it instead (SPEC §3, §10):
 * a native addon, WASM builds with data files, and optional drivers.
 */
export const EXTERNAL_PACKAGES = [
  '@node-rs/argon2', // native .node addon, one prebuilt package per platform
  '@electric-sql/pglite', // WASM + data files; embedded mode only
  'kysely-pglite', // pulls its CLI (oclif, kysely-codegen) on import; embedded mode only
  'pg-native', // pg's optional libpq binding, never used
  'cassandra-driver', // later: messages store
  // The drive's S3 client: ~1.4 MB of bundle that only functions using blobs can reach.
  '@aws-sdk/client-s3',
  '@aws-sdk/s3-request-presigner',
  // LiveKit's server SDK (protobuf runtime included): only call functions reach it.
  'livekit-server-sdk',
  // The OpenAI client: ~370 kB of bundle (every API resource comes with the client class) that
  // only the AI functions reach.
  'openai',
] as const;

/**
 * Gives the CommonJS dependencies inside an ESM bundle what they expect: `require` (ioredis,
 * pino, nodemailer and pg call it), and `__dirname`/`__filename` (pino's transport and
 * ioredis's friendly error stacks read them).
 */
export const ESM_REQUIRE_BANNER = [
  "import { createRequire as __scCreateRequire } from 'node:module';",
  "import { fileURLToPath as __scFileURLToPath } from 'node:url';",
  "import { dirname as __scDirname } from 'node:path';",
  'const require = __scCreateRequire(import.meta.url);',
  'const __filename = __scFileURLToPath(import.meta.url);',
  'const __dirname = __scDirname(__filename);',
].join('\n');

export interface BundleResult {
  name: string;
  /** Absolute path of `<outDir>/<dir>/<file>`, e.g. `<outDir>/users-me/index.mjs`. */
  file: string;
  /** Size of that file. */
  bytes: number;
  /** External packages the bundle imports, with the installed version. */
  externals: Record<string, string>;
  /** What went into the bundle, largest first. */
  packages: BundledPackage[];
  /**
   * Packages (bundled or external) evaluated at start-up: reachable from the entry through static
   * imports and require calls. Everything else in the bundle sits behind a dynamic `import()` and
   * is evaluated only when the platform first needs it.
   */
  eagerPackages: string[];
}

export interface BundleOptions {
  /** Repository root holding `functions/<name>/handler.ts`; defaults to this repository. */
  root?: string;
}

/** One output of a build: a generated entry module bundled into `<outDir>/<dir>/<file>`. */
export interface BundleEntry {
  /** Names the bundle in results: a function name, `api`, `migrate`, `admin` or `realtime-gateway`. */
  name: string;
  /** Directory under the output directory; bundles sharing one share its package.json and externals. */
  dir: string;
  /** `index.mjs`, or another name beside it. */
  file: string;
  /** The entry module (TypeScript); relative imports resolve from `resolveDir`. */
  source: string;
  resolveDir: string;
  /** The dependencies it may open: which dependency-specific drivers its directory installs. */
  uses: readonly string[];
}

const NAME_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/**
 * Bundles one function into `<outDir>/<name>/index.mjs` (+ `.map`, + a `package.json` listing the
 * externals it imports), ready for `node index.mjs` behind of-watchdog's `http` mode.
 *
 * @example
 * const { file, bytes } = await bundleFunction('users-me', 'dist/functions');
 */
export async function bundleFunction(
  name: string,
  outDir: string,
  options: BundleOptions = {},
): Promise<BundleResult> {
  const [result] = await bundleFunctions([name], outDir, options);
  return result as BundleResult;
}

/** {@link bundleFunction} for several functions in one esbuild run (it shares the parsing). */
export async function bundleFunctions(
  names: readonly string[],
  outDir: string,
  options: BundleOptions = {},
): Promise<BundleResult[]> {
  return bundleEntries(await functionEntries(names, options), outDir, options);
}

/**
 * The single-host API image's bundles in `<outDir>/api/` (infra/docker/api.Dockerfile):
 * `index.mjs` serves every function in one process (scripts/lib/api-server.ts), `migrate.mjs` is
 * `npm run migrate` (the compose file's one-shot `migrate`), `admin.mjs` is `npm run admin`.
 */
export async function bundleApi(outDir: string): Promise<BundleResult[]> {
  return bundleEntries(await apiEntries(), outDir);
}

/** The realtime gateway's image bundle: `<outDir>/realtime-gateway/index.mjs` (realtime-gateway/Dockerfile). */
export async function bundleGateway(outDir: string): Promise<BundleResult> {
  const [result] = await bundleEntries(gatewayEntries(), outDir);
  return result as BundleResult;
}

/** The entries of {@link bundleFunctions}: one directory per function. */
export async function functionEntries(
  names: readonly string[],
  options: BundleOptions = {},
): Promise<BundleEntry[]> {
  const root = resolve(options.root ?? ROOT);
  return Promise.all(names.map((name) => functionEntry(name, root)));
}

/** The entries of {@link bundleApi}. */
export async function apiEntries(): Promise<BundleEntry[]> {
  const functions = await loadFunctions();
  const imports = functions.map(
    (fn, index) => `import f${index} from ${JSON.stringify(join(ROOT, 'functions', fn.name, 'handler.ts'))};`,
  );
  const script = (name: string, file: string, uses: readonly string[]): BundleEntry => ({
    name,
    dir: 'api',
    file: `${name}.mjs`,
    source: `import ${JSON.stringify(join(ROOT, 'scripts', file))};\n`,
    resolveDir: join(ROOT, 'scripts'),
    uses,
  });
  return [
    {
      name: 'api',
      dir: 'api',
      file: 'index.mjs',
      source: [
        ...imports,
        `import { startApiServer } from ${JSON.stringify(join(ROOT, 'scripts/lib/api-server.ts'))};`,
        ``,
        `await startApiServer([${functions.map((_, index) => `f${index}`).join(', ')}]);`,
        ``,
      ].join('\n'),
      resolveDir: join(ROOT, 'scripts'),
      uses: requiredDependencies(functions),
    },
    script('migrate', 'migrate.ts', MIGRATE_DEPENDENCIES),
    script('admin', 'admin.ts', ['sql']),
  ];
}

/** The entries of {@link bundleGateway}. */
export function gatewayEntries(): BundleEntry[] {
  const main = join(ROOT, 'realtime-gateway/src/main.ts');
  return [
    {
      name: 'realtime-gateway',
      dir: 'realtime-gateway',
      file: 'index.mjs',
      source: `import ${JSON.stringify(main)};\n`,
      resolveDir: dirname(main),
      uses: GATEWAY_DEPENDENCIES,
    },
  ];
}

/**
 * Bundles every entry in one esbuild run: `<outDir>/<dir>/<file>` (ESM, node20, linked source
 * map) each, and per directory a package.json naming the externals its bundles import.
 */
export async function bundleEntries(
  entries: readonly BundleEntry[],
  outDir: string,
  options: BundleOptions = {},
): Promise<BundleResult[]> {
  const root = resolve(options.root ?? ROOT);
  const out = resolve(outDir);
  const dirs = [...new Set(entries.map((entry) => entry.dir))];
  for (const dir of dirs) {
    await rm(join(out, dir), { recursive: true, force: true });
    await mkdir(join(out, dir), { recursive: true });
  }
  const byPath = new Map(entries.map((entry) => [`${entry.dir}/${entry.file}`, entry]));

  const result = await build({
    entryPoints: entries.map((entry) => ({
      in: `${ENTRY}:${entry.dir}/${entry.file}`,
      out: join(entry.dir, entry.file.replace(/\.mjs$/, '')),
    })),
    outdir: out,
    outExtension: { '.js': '.mjs' },
    absWorkingDir: root,
    // A scaffolded function in another root still finds this repository's packages.
    nodePaths: [join(ROOT, 'node_modules')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: false,
    sourcemap: 'linked',
    sourcesContent: false,
    external: [...EXTERNAL_PACKAGES],
    plugins: [generatedEntries(byPath), lazyExternals(root)],
    banner: { js: ESM_REQUIRE_BANNER },
    metafile: true,
    logLevel: 'silent',
  });
  for (const warning of result.warnings) {
    process.stderr.write(`bundle: esbuild warning: ${warning.text}\n`);
  }

  const results: BundleResult[] = [];
  for (const entry of entries) {
    const file = join(out, entry.dir, entry.file);
    results.push({
      name: entry.name,
      file,
      bytes: (await stat(file)).size,
      externals: await externalVersions(importedExternals(result.metafile, root, file), root),
      packages: bundledPackages(result.metafile, root, file),
      eagerPackages: eagerPackages(result.metafile, root, file),
    });
  }
  for (const dir of dirs) {
    const inDir = entries.flatMap((entry, index) =>
      entry.dir === dir ? [{ entry, result: results[index] }] : [],
    );
    const externals = Object.assign({}, ...inDir.map(({ result }) => result?.externals));
    const uses = [...new Set(inDir.flatMap(({ entry }) => entry.uses))];
    await writeFile(
      join(out, dir, 'package.json'),
      `${JSON.stringify(bundleManifest(dir, externals, uses), null, 2)}\n`,
    );
  }
  return results;
}

/** The generated entry modules, served from the {@link ENTRY} namespace. */
function generatedEntries(byPath: ReadonlyMap<string, BundleEntry>): Plugin {
  return {
    name: ENTRY,
    setup(build) {
      build.onResolve({ filter: new RegExp(`^${ENTRY}:`) }, (args) => ({
        path: args.path.slice(ENTRY.length + 1),
        namespace: ENTRY,
      }));
      build.onLoad({ filter: /.*/, namespace: ENTRY }, (args) => {
        const entry = byPath.get(args.path);
        if (!entry) throw new Error(`no bundle entry ${args.path}`);
        return { contents: entry.source, resolveDir: entry.resolveDir, loader: 'ts' };
      });
    },
  };
}

/**
 * A function's entry: its handler and the shared boot, which builds the platform from the
 * environment and serves on PORT (SIGTERM drains and exits 0).
 */
async function functionEntry(name: string, root: string): Promise<BundleEntry> {
  if (!NAME_PATTERN.test(name)) throw new Error(`not a function name: ${JSON.stringify(name)}`);
  const functionDir = join(root, 'functions', name);
  const handler = join(functionDir, 'handler.ts');
  if (!existsSync(handler)) throw new Error(`no function ${name}: ${handler} is missing`);
  const fn = (await import(pathToFileURL(handler).href)) as { default: AnyFunction };
  return {
    name,
    dir: name,
    file: 'index.mjs',
    source: [
      `import fn from './handler.ts';`,
      `import { assertStoresInstalled } from ${JSON.stringify(join(ROOT, 'scripts/lib/function-entry.ts'))};`,
      `import { bootFunctions } from '@secureconnect/shared/http/boot';`,
      ``,
      `assertStoresInstalled(fn, ${JSON.stringify(name)});`,
      `await bootFunctions({ service: fn.name, functions: [fn] });`,
      ``,
    ].join('\n'),
    resolveDir: functionDir,
    uses: requiredDependencies([fn.default]),
  };
}

function installedManifest(
  name: string,
  root: string,
): { version: string; type?: string; exports?: unknown } | undefined {
  for (const base of [root, ROOT]) {
    const path = join(base, 'node_modules', name, 'package.json');
    if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8'));
  }
  return undefined;
}

/** CommonJS, or ESM that also exports a CommonJS build (a `require` condition, as livekit-server-sdk does). */
function canRequire(manifest: { type?: string; exports?: unknown } | undefined): boolean {
  if (manifest?.type !== 'module') return true;
  const root = (manifest.exports as Record<string, unknown> | undefined)?.['.'];
  return typeof root === 'object' && root !== null && 'require' in root;
}

/**
 * An ESM bundle hoists every static `import` of an external to its top, so a driver imported
 * statically deep inside an adapter would load when any function starts, even one that never
 * opens that store. This plugin turns static imports of CommonJS externals into a `require()`
 * inside a lazily evaluated module: the package loads when the code importing it first runs.
 * ESM-only externals (PGlite) are left alone; our code imports those with `import()` already.
 */
function lazyExternals(root: string): Plugin {
  const names = EXTERNAL_PACKAGES.map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  const filter = new RegExp(`^(${names.join('|')})(/.*)?$`);
  return {
    name: LAZY,
    setup(build) {
      build.onResolve({ filter }, (args) => {
        const requirable = canRequire(installedManifest(packageOf(args.path), root));
        if (args.kind === 'import-statement' && args.namespace !== LAZY && requirable) {
          return { path: args.path, namespace: LAZY };
        }
        return { path: args.path, external: true };
      });
      build.onLoad({ filter: /.*/, namespace: LAZY }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(args.path)});\n`,
        loader: 'js',
      }));
    },
  };
}

async function externalVersions(packages: string[], root: string): Promise<Record<string, string>> {
  // Not installed here (an optional driver such as pg-native): the bundle only requires it behind
  // a code path we never take, so any version is acceptable.
  return Object.fromEntries(packages.map((name) => [name, installedManifest(name, root)?.version ?? '*']));
}
