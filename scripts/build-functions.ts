/**
 * `npm run build:functions [name...] [--out <dir>]`: one esbuild bundle per function under
 * dist/functions/<name>/ (index.mjs, index.mjs.map, package.json of its externals), then a size
 * table of what each bundle contains. `--api` builds the single-host API image's bundles
 * (<out>/api/: index.mjs, migrate.mjs, admin.mjs), `--gateway` the realtime gateway's
 * (<out>/realtime-gateway/index.mjs): instead of every function, or beside the functions named.
 * The Dockerfiles run these; scripts/images.test.ts runs all three in one invocation.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { apiEntries, type BundleResult, bundleEntries, functionEntries, gatewayEntries } from './lib/bundle';
import { functionNames, ROOT } from './lib/function-catalog';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string', default: join(ROOT, 'dist/functions') },
    quiet: { type: 'boolean', default: false },
    api: { type: 'boolean', default: false },
    gateway: { type: 'boolean', default: false },
  },
});

const known = functionNames();
const unknown = positionals.filter((name) => !known.includes(name));
if (unknown.length > 0) {
  process.stderr.write(
    `build-functions: no such function: ${unknown.join(', ')} (known: ${known.join(', ')})\n`,
  );
  process.exit(1);
}
const images = values.api || values.gateway;
const names = positionals.length > 0 || images ? positionals : known;

let results: BundleResult[];
try {
  // One esbuild run for everything asked for: it parses the shared sources once (building every
  // function and both images this way takes about as long as the functions alone).
  results = await bundleEntries(
    [
      ...(await functionEntries(names)),
      ...(values.api ? await apiEntries() : []),
      ...(values.gateway ? gatewayEntries() : []),
    ],
    values.out,
  );
} catch (error) {
  process.stderr.write(`build-functions: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const rows = results.map((result) => ({
  function: result.name,
  size: kib(result.bytes),
  externals: Object.keys(result.externals).join(' ') || '-',
  'largest packages': result.packages
    .slice(0, 6)
    .map((pkg) => `${pkg.name} ${kib(pkg.bytes)}`)
    .join(', '),
}));
if (!values.quiet) {
  const widths = Object.keys(rows[0] ?? {}).map((key) =>
    Math.max(key.length, ...rows.map((row) => String(row[key as keyof typeof row]).length)),
  );
  const line = (cells: string[]) => cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  ');
  console.log(line(Object.keys(rows[0] ?? {})));
  for (const row of rows) console.log(line(Object.values(row)));
  const packages = [...new Set(results.flatMap((result) => result.packages.map((pkg) => pkg.name)))].sort();
  const eager = [...new Set(results.flatMap((result) => result.eagerPackages))].sort();
  console.log(`\n${results.length} bundle(s) in ${values.out}`);
  console.log(`bundled packages: ${packages.join(', ')}`);
  console.log(`evaluated at start-up (the rest loads on first use): ${eager.join(', ')}`);
}
