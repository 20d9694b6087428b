/**
 * `npm run new-function <name> [--root <dir>]`: scaffolds functions/<name>/ (package.json, a
 * working handler.ts, an HTTP handler.test.ts) and regenerates stack.yml and the router.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './lib/function-catalog';
import { ScaffoldError, scaffoldFunction } from './lib/scaffold';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { root: { type: 'string', default: ROOT } },
});

const [name, ...extra] = positionals;
if (!name || extra.length > 0) {
  process.stderr.write('usage: npm run new-function <name>   (kebab-case, e.g. polls-create)\n');
  process.exit(1);
}

try {
  const result = await scaffoldFunction(name, resolve(values.root));
  console.log(`Created ${result.files.join(', ')}`);
  console.log(`Regenerated ${result.regenerated.join(', ') || 'nothing (already up to date)'}`);
  console.log(`
Next steps:
  1. Edit functions/${name}/handler.ts: it answers GET /v1/${name} with { ok: true } for any
     signed-in user. Set method, path, auth ('public' | 'user' | 'admin'), uses (the stores it
     touches: 'sql', 'kv', 'mail', 'signing-key'), the request/response schemas and handle().
  2. Run \`npm run generate\` after every manifest change (stack.yml, infra/nginx/routes.conf,
     infra/prometheus/functions.json and infra/compose/app.generated.yml).
  3. Replace the tests in functions/${name}/handler.test.ts with the real flow:
     npx vitest run functions/${name}
  4. Run \`npm install\` once so the workspace links @secureconnect/fn-${name} (the functions/*
     glob picks the folder up; nothing else to register).
  5. Build the bundle: npm run build:functions ${name}`);
} catch (error) {
  const message = error instanceof ScaffoldError || error instanceof Error ? error.message : String(error);
  process.stderr.write(`new-function: ${message}\n`);
  process.exit(1);
}
