/**
 * `npm run generate [--root <dir>]`: writes stack.yml, infra/nginx/routes.conf,
 * infra/prometheus/functions.json and infra/compose/app.generated.yml (the environment of
 * docker-compose.production.yml's application services) from the function manifests (SPEC §3:
 * the manifest is the single source of truth).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './lib/function-catalog';
import { GENERATED_FILES, loadFunctionsIn, writeGeneratedFiles } from './lib/generated';

const { values } = parseArgs({ options: { root: { type: 'string', default: ROOT } } });
const root = resolve(values.root);

try {
  const functions = await loadFunctionsIn(root);
  const changed = await writeGeneratedFiles(root, functions);
  const summary =
    changed.length > 0 ? `updated ${changed.join(', ')}` : `${GENERATED_FILES.join(', ')} already up to date`;
  console.log(`generate: ${functions.length} functions; ${summary}`);
} catch (error) {
  process.stderr.write(`generate: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
