/**
 * `npm run bench [-- scenario...] [--quick]`: runs the benchmarks of SPEC §12 — fanout,
 * connections, http, coldstart — each beside its peer in the same run, printing a table and
 * writing results/<scenario>-<timestamp>.json (the latest also to results/latest/). See README.md.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { describeMachine, machineFacts } from './lib/machine';
import { resultOptions } from './lib/results';
import { runColdstart } from './scenarios/coldstart';
import { runConnections } from './scenarios/connections';
import { runFanout } from './scenarios/fanout';
import { runHttp } from './scenarios/http';

const SCENARIOS = {
  fanout: (quick: boolean) => runFanout(quick ? { sizes: [100], measureMs: 2000, maxSteps: 4 } : {}),
  connections: (quick: boolean) => runConnections(quick ? { counts: [1000] } : {}),
  http: (quick: boolean) => runHttp(quick ? { durationMs: 3000 } : {}),
  coldstart: (quick: boolean) => runColdstart(quick ? { runs: 3 } : {}),
} as const;

type Scenario = keyof typeof SCENARIOS;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(
    `usage: npm run bench [-- ${Object.keys(SCENARIOS).join('|')} ...] [--quick]\n` +
      'Runs every scenario by default (~10 min on 2 cores); --quick shrinks each to a smoke run\n' +
      '(written to results/ as *-quick.json, never to results/latest/).\n',
  );
  process.exit(0);
}

const unknown = positionals.filter((name) => !(name in SCENARIOS));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown scenario(s): ${unknown.join(', ')}; choose from ${Object.keys(SCENARIOS).join(', ')}\n`,
  );
  process.exit(2);
}
const chosen = (positionals.length > 0 ? positionals : Object.keys(SCENARIOS)) as Scenario[];
// A smoke run's figures mean little: they never replace results/latest/.
resultOptions.updateLatest = !values.quick;
const started = Date.now();
process.stdout.write(`bench: ${chosen.join(', ')} on ${describeMachine(machineFacts())}\n`);
for (const scenario of chosen) {
  const load = loadavg()[0] ?? 0;
  // Everything here shares the box with whatever else runs: the figures are only as good as it is quiet.
  if (load > 1)
    process.stdout.write(
      `  warning: load average ${load.toFixed(2)} before ${scenario}; other work skews the figures\n`,
    );
  await SCENARIOS[scenario](values.quick);
}
process.stdout.write(`\nbench: ${chosen.join(', ')} in ${Math.round((Date.now() - started) / 1000)} s\n`);
process.exit(0);
