/**
 * The monitoring configuration (infra/prometheus, infra/alertmanager, infra/grafana, infra/loki,
 * infra/promtail, infra/blackbox-exporter) checked with the real validators from Debian's packages
 * (`promtool`, `amtool`, `blackbox_exporter --config.check`) and against the real processes: every
 * metric an alert or a dashboard reads must be exported by our processes (their live /metrics) or
 * by a documented exporter (infra/prometheus/exporter-metrics.json). The predecessor alerted on a
 * metric nothing exported; this test is what keeps that from happening again.
 *
 * It lives in scripts/ beside router.test.ts (the router config's test) so `tsc` checks it:
 * tsconfig.json covers scripts/, not infra/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGatewayServer } from '@secureconnect/realtime-gateway/server';
import type { AnyFunction } from '@secureconnect/shared/http/define-function';
import { Metrics } from '@secureconnect/shared/observability/metrics';
import { findBinary, requiredOnCi } from '@secureconnect/shared/testing/binaries';
import { startTestServer, type TestServer } from '@secureconnect/shared/testing/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startDevServer } from './lib/dev-server';
import { ROOT } from './lib/function-catalog';
import { loadFunctionsIn } from './lib/generated';
import { OPENFAAS_GATEWAY } from './lib/prometheus';
import { type LabelMatcher, metricNamesIn, parseLabelValuesQuery, selectorsIn } from './lib/promql';

const PROMETHEUS_DIR = join(ROOT, 'infra/prometheus');
const RUNBOOKS_DIR = join(ROOT, 'docs/operations/runbooks');
const DASHBOARDS_DIR = join(ROOT, 'infra/grafana/dashboards');

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const readYaml = <T>(path: string) => parse(read(path)) as T;

function run(
  binary: string,
  args: string[],
  cwd = ROOT,
): { status: number | null; stdout: string; output: string } {
  const result = spawnSync(binary, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return {
    status: result.status,
    stdout: result.stdout ?? '',
    output: `${result.stdout ?? ''}${result.stderr ?? ''}`,
  };
}

const promtool = findBinary('promtool');
const amtool = findBinary('amtool');
const blackbox = findBinary('prometheus-blackbox-exporter', 'blackbox_exporter');

const why = 'CI must validate the monitoring configuration with it';
requiredOnCi('promtool', promtool, 'prometheus', why);
requiredOnCi('amtool', amtool, 'prometheus-alertmanager', why);
requiredOnCi('blackbox_exporter', blackbox, 'prometheus-blackbox-exporter', why);

// --- the rules, parsed ----------------------------------------------------------------------------

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const alertRules = (): AlertRule[] =>
  readYaml<{ groups: { name: string; rules: AlertRule[] }[] }>('infra/prometheus/alerts.yml').groups.flatMap(
    (group) => group.rules,
  );

// --- the dashboards, parsed -----------------------------------------------------------------------

interface Datasource {
  type?: string;
  uid?: string;
}
interface Panel {
  id?: number;
  type: string;
  title?: string;
  datasource?: Datasource;
  targets?: { datasource?: Datasource; expr?: string }[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating?: { list: { name: string; type: string; datasource?: Datasource; query?: unknown }[] };
}

const dashboardFiles = () => readdirSync(DASHBOARDS_DIR).filter((file) => file.endsWith('.json'));
const dashboard = (file: string) => JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')) as Dashboard;
const allPanels = (panels: Panel[]): Panel[] =>
  panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);

/** Every PromQL expression the monitoring config evaluates, with where it comes from. */
function promqlSources(): { where: string; expr: string }[] {
  const sources = alertRules().map((rule) => ({ where: `alerts.yml ${rule.alert}`, expr: rule.expr }));
  for (const file of dashboardFiles()) {
    const board = dashboard(file);
    for (const panel of allPanels(board.panels)) {
      for (const target of panel.targets ?? []) {
        const uid = target.datasource?.uid ?? panel.datasource?.uid;
        if (uid === 'prometheus' && target.expr)
          sources.push({ where: `${file} "${panel.title}"`, expr: target.expr });
      }
    }
    for (const variable of board.templating?.list ?? []) {
      if (variable.type !== 'query' || variable.datasource?.uid !== 'prometheus') continue;
      const query =
        typeof variable.query === 'string' ? variable.query : (variable.query as { query: string }).query;
      const labelValues = parseLabelValuesQuery(query);
      sources.push({ where: `${file} $${variable.name}`, expr: labelValues ? labelValues.selector : query });
    }
  }
  return sources;
}

// --- what is exported ------------------------------------------------------------------------------

type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** The sample names a family of this type appears under in queries. */
function sampleNames(family: string, type: MetricType): string[] {
  if (type === 'histogram') return [`${family}_bucket`, `${family}_sum`, `${family}_count`];
  if (type === 'summary') return [family, `${family}_sum`, `${family}_count`];
  return [family];
}

/** Families and types from a Prometheus text exposition's `# TYPE` lines. */
function familiesIn(exposition: string): Map<string, MetricType> {
  const families = new Map<string, MetricType>();
  for (const match of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm))
    families.set(match[1] as string, match[2] as MetricType);
  return families;
}

interface ExporterList {
  components: {
    component: string;
    image: string;
    documentation: string[];
    metrics: Record<string, MetricType>;
    labelValues?: Record<string, Record<string, string[]>>;
  }[];
}
const exporterList = () => JSON.parse(read('infra/prometheus/exporter-metrics.json')) as ExporterList;

/** Labels every series of our processes may carry besides the metric's own: set by Prometheus or boot. */
const TARGET_LABELS = ['job', 'instance', 'service', 'function', '__name__'];

describe('metric names read by alerts and dashboards', () => {
  let devServer: TestServer;
  let gateway: TestServer;
  let devExposition: string;
  let gatewayExposition: string;

  beforeAll(async () => {
    devServer = await startTestServer({ boot: (env) => startDevServer({ env, handleSignals: false }) });
    gateway = await startTestServer({ boot: (env) => startGatewayServer({ env, handleSignals: false }) });
    devExposition = (await devServer.request('GET', '/metrics')).body as string;
    gatewayExposition = (await gateway.request('GET', '/metrics')).body as string;
  });

  afterAll(async () => {
    await devServer?.close();
    await gateway?.close();
  });

  /** Sample name -> the family it belongs to, for our processes and for the documented exporters. */
  function exported(): { product: Map<string, string>; exporters: Map<string, string> } {
    const product = new Map<string, string>();
    for (const [family, type] of [...familiesIn(devExposition), ...familiesIn(gatewayExposition)])
      for (const name of sampleNames(family, type)) product.set(name, family);
    const exporters = new Map<string, string>();
    for (const component of exporterList().components)
      for (const [family, type] of Object.entries(component.metrics))
        for (const name of sampleNames(family, type)) exporters.set(name, family);
    return { product, exporters };
  }

  it('reads the metrics of SPEC §8 from the live /metrics of the dev server and of the standalone gateway', () => {
    const dev = familiesIn(devExposition);
    const standalone = familiesIn(gatewayExposition);
    for (const family of [
      'http_requests_total',
      'http_request_duration_seconds',
      'request_timeout_total',
      'redis_degraded_mode',
      's3_circuit_breaker_open',
      'websocket_connections',
      'push_notifications_total',
      'db_pool_acquire_timeouts_total',
    ])
      expect(dev.has(family), family).toBe(true);
    expect(dev.get('http_request_duration_seconds')).toBe('histogram');
    // The gateway process builds the same Metrics: nothing it exports is missing from the dev server.
    expect([...standalone.keys()].filter((family) => !dev.has(family))).toEqual([]);
    expect(standalone.has('websocket_connections')).toBe(true);
  });

  it('finds every metric an alert or a dashboard panel reads among the exported ones', () => {
    const { product, exporters } = exported();
    const missing: string[] = [];
    for (const { where, expr } of promqlSources())
      for (const name of metricNamesIn(expr))
        if (!product.has(name) && !exporters.has(name)) missing.push(`${where}: ${name}`);
    expect(missing).toEqual([]);
  });

  it('uses on our own metrics only labels they have, and histogram suffixes only on histograms', () => {
    const { product } = exported();
    const labelNames = new Map<string, readonly string[]>();
    for (const metric of new Metrics().registry.getMetricsAsArray())
      labelNames.set(metric.name, (metric as unknown as { labelNames?: readonly string[] }).labelNames ?? []);
    const wrong: string[] = [];
    for (const { where, expr } of promqlSources()) {
      for (const selector of selectorsIn(expr)) {
        const family = selector.name && product.get(selector.name);
        if (!family) continue;
        const allowed = new Set([
          ...(labelNames.get(family) ?? []),
          ...TARGET_LABELS,
          ...(selector.name?.endsWith('_bucket') ? ['le'] : []),
        ]);
        for (const matcher of selector.matchers)
          if (!allowed.has(matcher.label)) wrong.push(`${where}: ${selector.name}{${matcher.label}}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("matches criteo's cassandra_stats only by documented MBean names", () => {
    const documented =
      exporterList().components.find((component) => component.metrics.cassandra_stats)?.labelValues
        ?.cassandra_stats?.name ?? [];
    expect(documented.length).toBeGreaterThan(0);
    const matches = (matcher: LabelMatcher) =>
      matcher.op === '='
        ? documented.includes(matcher.value)
        : documented.some((value) => new RegExp(`^(?:${matcher.value})$`).test(value));
    const unknown: string[] = [];
    for (const { where, expr } of promqlSources())
      for (const selector of selectorsIn(expr))
        for (const matcher of selector.matchers)
          if (selector.name === 'cassandra_stats' && matcher.label === 'name' && !matches(matcher))
            unknown.push(`${where}: ${matcher.value}`);
    expect(unknown).toEqual([]);
  });
});

describe('infra/prometheus/exporter-metrics.json', () => {
  it('names an image and the documentation of every list', () => {
    for (const component of exporterList().components) {
      expect(component.image, component.component).toBeTruthy();
      expect(component.documentation.length, component.component).toBeGreaterThan(0);
      for (const url of component.documentation) expect(url).toMatch(/^https:\/\//);
      expect(Object.keys(component.metrics).length, component.component).toBeGreaterThan(0);
    }
  });
});

// --- validators ------------------------------------------------------------------------------------

describe.skipIf(!promtool)(
  `promtool${promtool ? '' : ' (skipped: promtool not found; Debian package prometheus)'}`,
  () => {
    it.each(['prometheus.yml', 'prometheus-openfaas.yml'])(
      'check config %s (with its rule files)',
      (file) => {
        const { status, output } = run(promtool as string, ['check', 'config', file], PROMETHEUS_DIR);
        expect(output).toContain(`SUCCESS: ${file} is valid prometheus config file syntax`);
        expect(output).not.toContain('WARNING');
        expect(status, output).toBe(0);
      },
    );

    it('check rules alerts.yml', () => {
      const { status, output } = run(promtool as string, ['check', 'rules', 'alerts.yml'], PROMETHEUS_DIR);
      expect(status, output).toBe(0);
      expect(output).toMatch(/SUCCESS: \d+ rules found/);
    });

    it('test rules alerts.test.yml', () => {
      const { status, output } = run(
        promtool as string,
        ['test', 'rules', 'alerts.test.yml'],
        PROMETHEUS_DIR,
      );
      expect(status, output).toBe(0);
      expect(output).toContain('SUCCESS');
    });

    /** The targets a job ends up with, after service discovery and relabelling (promtool's own). */
    function discovered(file: string, job: string): Record<string, string>[] {
      const { status, stdout, output } = run(
        promtool as string,
        ['check', 'service-discovery', '--timeout=2s', file, job],
        PROMETHEUS_DIR,
      );
      expect(status, output).toBe(0);
      return (JSON.parse(stdout) as { labels: Record<string, string> }[]).map((target) => target.labels);
    }

    it('scrapes every function of the manifests through the gateway on OpenFaaS, labelled with its name', async () => {
      const functions: AnyFunction[] = await loadFunctionsIn(ROOT);
      const targets = discovered('prometheus-openfaas.yml', 'functions');
      expect(targets.map((labels) => labels.function).sort()).toEqual(functions.map((fn) => fn.name).sort());
      for (const labels of targets) {
        expect(labels.__address__).toBe(OPENFAAS_GATEWAY);
        expect(labels.__metrics_path__).toBe(`/function/${labels.function}/metrics`);
      }
      const probes = discovered('prometheus-openfaas.yml', 'function-readiness');
      expect(probes).toHaveLength(functions.length);
      for (const labels of probes) {
        expect(labels.__address__).toBe('blackbox-exporter:9115');
        expect(labels.__metrics_path__).toBe('/probe');
        expect(labels.__param_module).toBe('http_ready');
        expect(labels.__param_target).toBe(`http://${OPENFAAS_GATEWAY}/function/${labels.function}/readyz`);
      }
    });

    it('probes readiness through the blackbox exporter, each probe named by what it probes', () => {
      const targets = discovered('prometheus.yml', 'readiness');
      expect(targets.map((labels) => labels.instance).sort()).toEqual([
        'http://api:8080/readyz',
        'http://realtime-gateway:8081/readyz',
        'http://router:8080/healthz',
      ]);
      for (const labels of targets) {
        expect(labels.__address__).toBe('blackbox-exporter:9115');
        expect(labels.__param_module).toBe('http_ready');
      }
    });
  },
);

describe.skipIf(!amtool)(
  `amtool${amtool ? '' : ' (skipped: amtool not found; Debian package prometheus-alertmanager)'}`,
  () => {
    const dir = join(ROOT, 'infra/alertmanager');

    it('check-config alertmanager.yml (with its templates)', () => {
      const { status, output } = run(amtool as string, ['check-config', 'alertmanager.yml'], dir);
      expect(output).toContain('SUCCESS');
      expect(status, output).toBe(0);
    });

    it('renders the notification templates', () => {
      const { status, output } = run(
        amtool as string,
        [
          'template',
          'render',
          '--template.glob=templates/*.tmpl',
          '--template.text={{ template "secureconnect.title" . }}\n{{ template "secureconnect.text" . }}',
        ],
        dir,
      );
      expect(status, output).toBe(0);
      expect(output).toContain('Runbook:');
    });
  },
);

describe.skipIf(!blackbox)(
  `blackbox_exporter${blackbox ? '' : ' (skipped: not found; Debian package prometheus-blackbox-exporter)'}`,
  () => {
    it('--config.check infra/blackbox-exporter/blackbox.yml', () => {
      const { status, output } = run(blackbox as string, [
        '--config.check',
        '--config.file=infra/blackbox-exporter/blackbox.yml',
      ]);
      expect(status, output).toBe(0);
      expect(output).toContain('Config file is ok');
    });
  },
);

// --- conventions -------------------------------------------------------------------------------------

describe('infra/prometheus/alerts.yml', () => {
  it('gives every rule a for:, a severity, a component, a summary, a description and its runbook', () => {
    for (const rule of alertRules()) {
      expect(rule.for, `${rule.alert} for`).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning', 'info'], `${rule.alert} severity`).toContain(rule.labels?.severity);
      expect(rule.labels?.component, `${rule.alert} component`).toBeTruthy();
      expect(rule.annotations?.summary, `${rule.alert} summary`).toBeTruthy();
      expect(rule.annotations?.description, `${rule.alert} description`).toBeTruthy();
      expect(rule.annotations?.runbook_url).toBe(`docs/operations/runbooks/${rule.alert}.md`);
      const runbook = join(ROOT, rule.annotations?.runbook_url as string);
      expect(existsSync(runbook), `${rule.alert}: ${rule.annotations?.runbook_url} is missing`).toBe(true);
      expect(readFileSync(runbook, 'utf8').split('\n')[0]).toBe(`# ${rule.alert}`);
    }
  });

  it('keeps one runbook per alert and no runbook for an alert that is gone', () => {
    const alerts = new Set(alertRules().map((rule) => rule.alert));
    const runbooks = readdirSync(RUNBOOKS_DIR)
      .filter((file) => file.endsWith('.md'))
      .map((file) => file.slice(0, -3));
    expect(runbooks.sort()).toEqual([...alerts].sort());
  });

  it('gives rules that share a name different severities (inhibition keeps the critical one)', () => {
    const byName = new Map<string, string[]>();
    for (const rule of alertRules())
      byName.set(rule.alert, [...(byName.get(rule.alert) ?? []), rule.labels?.severity as string]);
    for (const [name, severities] of byName) expect(new Set(severities).size, name).toBe(severities.length);
  });

  it('unit-tests every alert that reads our own metrics', () => {
    const product = new Set(new Metrics().registry.getMetricsAsArray().map((metric) => metric.name));
    const readsProduct = (expr: string) =>
      metricNamesIn(expr).some(
        (name) => product.has(name.replace(/_(bucket|sum|count)$/, '')) || product.has(name),
      );
    const tested = new Set(
      readYaml<{ tests: { alert_rule_test?: { alertname: string }[] }[] }>(
        'infra/prometheus/alerts.test.yml',
      ).tests.flatMap((test) => (test.alert_rule_test ?? []).map((check) => check.alertname)),
    );
    const untested = [
      ...new Set(
        alertRules()
          .filter((rule) => readsProduct(rule.expr) && !tested.has(rule.alert))
          .map((rule) => rule.alert),
      ),
    ];
    expect(untested).toEqual([]);
  });

  it('watches exactly the functions whose manifests have a schedule', async () => {
    const scheduled = (await loadFunctionsIn(ROOT)).filter((fn) => fn.schedule).map((fn) => fn.name);
    const rule = alertRules().find((each) => each.alert === 'ScheduledFunctionNotRunning') as AlertRule;
    const matchers = selectorsIn(rule.expr).map((selector) =>
      selector.matchers.find((each) => each.label === 'function'),
    );
    // The regex selectors name every scheduled function; the absent_over_time ones one each.
    for (const matcher of matchers.filter((each) => each?.op === '=~')) {
      expect(matcher?.value.split('|').sort()).toEqual([...scheduled].sort());
    }
    const single = matchers.filter((each) => each?.op === '=').map((each) => each?.value);
    expect(single.sort()).toEqual([...scheduled].sort());
    expect(matchers.every((each) => each?.op === '=~' || each?.op === '=')).toBe(true);
  });
});

describe('infra/alertmanager/alertmanager.yml', () => {
  interface Route {
    receiver?: string;
    matchers?: string[];
    routes?: Route[];
  }
  const config = () =>
    readYaml<{ route: Route; receivers: { name: string }[] }>('infra/alertmanager/alertmanager.yml');

  it('routes each severity the rules use to a receiver that exists', () => {
    const { route, receivers } = config();
    const names = new Set(receivers.map((receiver) => receiver.name));
    const severities = new Set(alertRules().map((rule) => rule.labels?.severity));
    for (const severity of severities) {
      const child = route.routes?.find((each) => each.matchers?.includes(`severity="${severity}"`));
      expect(child, `no route for severity ${severity}`).toBeDefined();
      expect(names.has(child?.receiver as string)).toBe(true);
    }
    expect(names.has(route.receiver as string)).toBe(true);
  });

  it('holds no secret: every credential is read from a file', () => {
    const text = read('infra/alertmanager/alertmanager.yml');
    for (const field of [
      'api_url',
      'url',
      'auth_password',
      'smtp_auth_password',
      'routing_key',
      'service_key',
      'api_key',
      'bot_token',
      'credentials',
      'password',
    ])
      expect(text, field).not.toMatch(new RegExp(`^\\s*-?\\s*${field}:`, 'm'));
    expect(text).toMatch(/api_url_file: \/run\/secrets\//);
    expect(text).not.toMatch(/hooks\.slack\.com|https?:\/\/[^\s]*@/);
  });
});

describe('infra/grafana', () => {
  const uids = () =>
    new Set(
      readYaml<{ datasources: { uid: string }[] }>(
        'infra/grafana/provisioning/datasources/datasources.yml',
      ).datasources.map((source) => source.uid),
    );

  it('provisions Prometheus and Loki (and Alertmanager) with fixed uids and the dashboards folder', () => {
    expect([...uids()].sort()).toEqual(['alertmanager', 'loki', 'prometheus']);
    const providers = readYaml<{ providers: { type: string; options: { path: string } }[] }>(
      'infra/grafana/provisioning/dashboards/dashboards.yml',
    ).providers;
    expect(providers).toEqual([
      expect.objectContaining({ type: 'file', options: { path: '/var/lib/grafana/dashboards' } }),
    ]);
  });

  it('has the four dashboards, each JSON with a unique uid, unique panel ids and known data sources', () => {
    const files = dashboardFiles().sort();
    expect(files).toEqual(['api-overview.json', 'function-red.json', 'realtime.json', 'stores.json']);
    const known = uids();
    const seen = new Set<string>();
    for (const file of files) {
      const board = dashboard(file);
      expect(seen.has(board.uid), `${file} uid`).toBe(false);
      seen.add(board.uid);
      const panels = allPanels(board.panels);
      const ids = panels.map((panel) => panel.id);
      expect(new Set(ids).size, `${file} panel ids`).toBe(ids.length);
      for (const panel of panels) {
        if (panel.type === 'row') continue;
        expect(known.has(panel.datasource?.uid as string), `${file} "${panel.title}"`).toBe(true);
        expect(panel.targets?.length, `${file} "${panel.title}" has queries`).toBeGreaterThan(0);
        for (const target of panel.targets ?? [])
          expect(known.has((target.datasource ?? panel.datasource)?.uid as string)).toBe(true);
      }
      for (const variable of board.templating?.list ?? [])
        if (variable.datasource) expect(known.has(variable.datasource.uid as string)).toBe(true);
    }
  });

  it('gives the function RED dashboard a `function` variable that every query filters on', () => {
    const board = dashboard('function-red.json');
    const variable = board.templating?.list.find((each) => each.name === 'function');
    expect(variable?.type).toBe('query');
    for (const panel of allPanels(board.panels))
      for (const target of panel.targets ?? [])
        if (target.expr?.includes('http_request')) expect(target.expr).toContain('function=~"$function"');
  });
});

describe('infra/loki and infra/promtail', () => {
  it('keeps logs a bounded time', () => {
    const loki = readYaml<{
      limits_config: { retention_period: string };
      compactor: { retention_enabled: boolean };
      auth_enabled: boolean;
    }>('infra/loki/loki.yml');
    expect(loki.limits_config.retention_period).toMatch(/^\d+h$/);
    expect(loki.compactor.retention_enabled).toBe(true);
    expect(loki.auth_enabled).toBe(false);
  });

  it('ships the containers to Loki with service and level labels, and no Docker socket', () => {
    const text = read('infra/promtail/promtail.yml');
    const promtail = parse(text) as {
      server: { http_listen_port: number };
      clients: { url: string }[];
      scrape_configs: { pipeline_stages: Record<string, unknown>[] }[];
    };
    expect(promtail.server.http_listen_port).toBe(9080);
    expect(promtail.clients.map((client) => client.url)).toEqual(['http://loki:3100/loki/api/v1/push']);
    const stages = JSON.stringify(promtail.scrape_configs[0]?.pipeline_stages);
    expect(stages).toContain('"service"');
    expect(stages).toContain('"level"');
    expect(text).not.toContain('docker.sock');
    // requestId, userId and friends stay fields: a label per request would explode Loki's index.
    for (const stage of promtail.scrape_configs[0]?.pipeline_stages ?? []) {
      const labels = (stage as { labels?: Record<string, unknown> }).labels;
      for (const label of Object.keys(labels ?? {})) expect(['stream', 'service', 'level']).toContain(label);
    }
  });

  it('matches the ports prometheus.yml scrapes', () => {
    const prometheus = read('infra/prometheus/prometheus.yml');
    expect(prometheus).toContain('"promtail:9080"');
    expect(prometheus).toContain('"loki:3100"');
  });
});
