/**
 * docker-compose.production.yml checked with the real docker-compose (Debian's 1.29, which resolves
 * and validates a file without a Docker engine): `config` passes with what an operator's .env gives
 * and stops, naming the variable, when a required one is missing; the resolved services keep the
 * rules the file's header lists; every secret file it mounts is one scripts/create-secrets.sh makes,
 * in the form and with the mode the container reading it needs.
 *
 * The part derived from the function manifests (infra/compose/app.generated.yml) is checked against
 * them by generated-files.test.ts; this test checks what the services do with it. Nothing here can
 * start a container (CI has no engine), so what each third-party image provides (its user, its
 * shells, the commands we run in it) is written down in IMAGES from its Dockerfile, and the
 * services are checked against that.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { findBinary, requiredOnCi } from '@secureconnect/shared/testing/binaries';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMPOSE_APP_FILE, COMPOSE_SECRETS_DIR } from './lib/compose';
import { ROOT } from './lib/function-catalog';

const COMPOSE_FILE = 'docker-compose.production.yml';
const SECRETS_DIR = join(ROOT, 'secrets');

const dockerCompose = findBinary('docker-compose');
const openssl = findBinary('openssl');

requiredOnCi('docker-compose', dockerCompose, 'docker-compose', `CI must check ${COMPOSE_FILE} with it`);
requiredOnCi('openssl', openssl, 'openssl', 'CI must check the secrets scripts/create-secrets.sh makes');

// --- the operator's .env -----------------------------------------------------------------------------

/** What an operator's .env gives (docs/operations/deploy-compose.md): every variable the files require. */
const EXAMPLE_ENV: Readonly<Record<string, string>> = {
  TAG: '1.4.2',
  PUBLIC_BASE_URL: 'https://chat.example.com',
  MAIL_FROM: 'SecureConnect <no-reply@example.com>',
  S3_PUBLIC_ENDPOINT: 'https://chat.example.com:9443',
  LIVEKIT_URL: 'wss://chat.example.com:7443',
  TURN_URLS: 'turn:chat.example.com:3478,turns:chat.example.com:5349',
};

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** `${NAME:?message}` in the compose file and the file it extends: name → message. */
function requiredVariables(): Map<string, string> {
  const required = new Map<string, string>();
  for (const file of [COMPOSE_FILE, COMPOSE_APP_FILE]) {
    for (const [, name, message] of read(file).matchAll(/\$\{([A-Z0-9_]+):\?([^}]*)\}/g))
      required.set(name as string, message as string);
  }
  return required;
}

describe(`${COMPOSE_FILE}: required variables`, () => {
  it('are exactly those the example .env gives, each with a message naming it', () => {
    const required = requiredVariables();
    expect([...required.keys()].sort()).toEqual(Object.keys(EXAMPLE_ENV).sort());
    for (const [name, message] of required) expect(message).toContain(`set ${name} in .env`);
  });
});

// --- the resolved file -------------------------------------------------------------------------------

interface Service {
  image: string;
  user?: string | number;
  entrypoint?: string[] | string;
  command?: string[] | string;
  environment?: Record<string, string | number | null>;
  secrets?: { source: string; target?: string }[];
  volumes?: string[];
  tmpfs?: string[] | string;
  read_only?: boolean;
  cap_drop?: string[];
  cap_add?: string[];
  security_opt?: string[];
  healthcheck?: { test?: string[] | string; start_period?: string };
  depends_on?: Record<string, { condition: string }>;
  mem_limit?: string | number;
  restart?: string;
  logging?: { driver: string; options?: Record<string, string> };
}
interface ComposeConfig {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
}

let temp: string;
beforeAll(() => {
  temp = mkdtempSync(join(tmpdir(), 'sc-compose-'));
});
afterAll(() => {
  if (temp) rmSync(temp, { recursive: true, force: true });
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `docker-compose config` with exactly this environment: neither the caller's variables nor a .env
 * in the repository count (an empty --env-file), as on a fresh host. It does not open the secret
 * files (./secrets/ need not exist); what create-secrets.sh makes is checked below instead.
 */
function composeConfig(env: Readonly<Record<string, string>>): Promise<Run> {
  const envFile = join(temp, 'empty.env');
  writeFileSync(envFile, '');
  const args = ['--env-file', envFile, '-f', COMPOSE_FILE, 'config'];
  const environment = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: temp, LANG: 'C.UTF-8', ...env };
  return new Promise((resolve) => {
    execFile(
      dockerCompose as string,
      args,
      { cwd: ROOT, env: environment, timeout: 60_000, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

/** A version in a tag: major.minor at least, or MinIO's release date. */
const VERSION_TAG = /\d+\.\d+|^RELEASE\.\d{4}-\d{2}-\d{2}T/;
const ONE_SHOT = /^(.+-init|migrate)$/;
const isOneShot = (name: string) => ONE_SHOT.test(name);
const OUR_REGISTRY = 'ghcr.io/secureconnect/';
const isOurs = (service: Service) => service.image.startsWith(OUR_REGISTRY);

const list = (value: string[] | string | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : value.split(/\s+/).filter(Boolean);
const healthTest = (service: Service) => list(service.healthcheck?.test);
const disabledHealthCheck = (service: Service) => healthTest(service)[0] === 'NONE';

// --- what the images provide ------------------------------------------------------------------------

type Shell = 'sh' | 'bash';

interface ImageFacts {
  /** The uid the image runs as (its USER), and the uids of the named users it has. */
  user: number;
  users?: Record<string, number>;
  shells: Shell[];
  /** The programs the compose file runs in it directly (entrypoint, health check). */
  commands: string[];
  /** Its entrypoint runs the service's `command` as given (or it has none): command[0] runs. */
  runsCommand?: boolean;
}

/**
 * Each image the compose file uses, from its Dockerfile. A new image or tag needs its entry: the
 * backup job once ran a bash script as uid 70 in postgres's alpine image, which has no bash and
 * whose postgres user would be 999 in the Debian one; this table is what catches that.
 */
const IMAGES: Record<string, ImageFacts> = {
  // infra/docker/api.Dockerfile, realtime-gateway/Dockerfile: node bookworm-slim, USER 10001, no ENTRYPOINT.
  [`${OUR_REGISTRY}api`]: { user: 10001, shells: ['sh', 'bash'], commands: ['node'], runsCommand: true },
  [`${OUR_REGISTRY}realtime-gateway`]: {
    user: 10001,
    shells: ['sh', 'bash'],
    commands: ['node'],
    runsCommand: true,
  },
  // UBI 9 minimal; root; /cockroach on PATH.
  'cockroachdb/cockroach:v24.1.28': { user: 0, shells: ['sh', 'bash'], commands: ['cockroach'] },
  // eclipse-temurin (Ubuntu); root, its entrypoint drops to cassandra (999).
  'cassandra:4.1.10': { user: 0, users: { cassandra: 999 }, shells: ['sh', 'bash'], commands: ['cqlsh'] },
  // Alpine (busybox sh); root, redis is 999; its entrypoint runs any command but redis-server as given.
  'redis:7.2.5-alpine': {
    user: 0,
    users: { redis: 999 },
    shells: ['sh'],
    commands: ['redis-server', 'redis-cli'],
    runsCommand: true,
  },
  // UBI 9 micro; root; mc ships beside minio for health checks.
  'minio/minio:RELEASE.2024-12-18T13-15-44Z': { user: 0, shells: ['sh', 'bash'], commands: ['minio', 'mc'] },
  'minio/mc:RELEASE.2024-11-21T17-21-54Z': { user: 0, shells: ['sh', 'bash'], commands: ['mc'] },
  // Alpine; USER 101.
  'nginxinc/nginx-unprivileged:1.27.1-alpine': { user: 101, shells: ['sh'], commands: ['nginx', 'wget'] },
  // Alpine; root.
  'livekit/livekit-server:v1.8.4': { user: 0, shells: ['sh'], commands: ['wget'] },
  // Debian; USER nobody:nogroup.
  'coturn/coturn:4.6.3': { user: 65534, shells: ['sh', 'bash'], commands: ['turnserver'] },
  // Debian; root, postgres is 999 (70 in the alpine variants).
  'postgres:16.6-bookworm': { user: 0, users: { postgres: 999 }, shells: ['sh', 'bash'], commands: ['psql'] },
  // The Prometheus images: busybox, USER nobody.
  'prom/prometheus:v2.55.1': { user: 65534, shells: ['sh'], commands: ['wget'] },
  'prom/alertmanager:v0.27.0': { user: 65534, shells: ['sh'], commands: ['wget'] },
  'prom/node-exporter:v1.8.2': { user: 65534, shells: ['sh'], commands: ['wget'] },
  // busybox; taken as root (the Dockerfile had no USER for long): the service sets its user.
  'prom/blackbox-exporter:v0.25.0': { user: 0, shells: ['sh'], commands: ['wget'] },
  // Alpine; USER 472.
  'grafana/grafana:11.3.0': { user: 472, shells: ['sh'], commands: ['wget'] },
  // distroless debug (busybox on PATH); USER 10001.
  'grafana/loki:3.2.1': { user: 10001, shells: ['sh'], commands: ['wget'] },
  // Debian; root.
  'grafana/promtail:3.2.1': { user: 0, shells: ['sh', 'bash'], commands: [] },
  // Alpine; USER 59000:59000.
  'oliver006/redis_exporter:v1.67.0-alpine': { user: 59000, shells: ['sh'], commands: ['wget'] },
  // scratch: the binary alone; USER 1001:1001.
  'nginx/nginx-prometheus-exporter:1.3.0': {
    user: 1001,
    shells: [],
    commands: ['nginx-prometheus-exporter'],
  },
  // openjdk 11 slim (Debian); USER 1000.
  'criteord/cassandra_exporter:2.3.8': { user: 1000, shells: ['sh', 'bash'], commands: ['java'] },
};

function imageFacts(service: Service): ImageFacts {
  const facts = IMAGES[service.image] ?? IMAGES[service.image.replace(/:[^:/]+$/, '')];
  if (!facts) throw new Error(`${service.image}: not in IMAGES; add its user, shells and commands`);
  return facts;
}

/** The uid a service runs as: its `user` (a uid or one of the image's users), else the image's. */
function uidOf(service: Service): number {
  const facts = imageFacts(service);
  if (service.user === undefined) return facts.user;
  const user = String(service.user).split(':')[0] as string;
  if (/^\d+$/.test(user)) return Number(user);
  const uid = facts.users?.[user];
  if (uid === undefined) throw new Error(`${service.image}: no user ${user} in IMAGES`);
  return uid;
}

/** The interpreter a script's shebang names (`#!/bin/sh`, `#!/usr/bin/env bash`). */
function shebangOf(path: string): string | undefined {
  const first = readFileSync(path, 'utf8').split('\n', 1)[0] as string;
  if (!first.startsWith('#!')) return undefined;
  const words = first.slice(2).trim().split(/\s+/);
  return basename((words[0] === '/usr/bin/env' ? words[1] : words[0]) ?? '');
}

/**
 * What a service runs directly: the program of its entrypoint (or command), of its health check,
 * and the interpreters of the repository scripts mounted into it that those run.
 */
function programsOf(service: Service): string[] {
  const facts = imageFacts(service);
  const argv = service.entrypoint
    ? [...list(service.entrypoint), ...list(service.command)]
    : facts.runsCommand
      ? list(service.command)
      : [];
  const test = healthTest(service);
  const programs = [
    argv[0],
    test[0] === 'CMD' ? test[1] : undefined,
    test[0] === 'CMD-SHELL' ? 'sh' : undefined,
  ];
  const invoked = JSON.stringify([argv, test]);
  for (const volume of service.volumes ?? []) {
    const [source, target] = volume.split(':') as [string, string | undefined];
    if (!target || !source.startsWith(`${ROOT}/`) || !existsSync(source) || !statSync(source).isFile())
      continue;
    if (invoked.includes(target)) programs.push(shebangOf(source));
  }
  return [...new Set(programs.filter((program): program is string => !!program).map((p) => basename(p)))];
}

/** Where a service's secrets appear in it: /run/secrets/<source>, or their own target. */
const mountedSecretPaths = (service: Service) =>
  new Set(
    (service.secrets ?? []).map(({ source, target }) =>
      target?.startsWith('/') ? target : `${COMPOSE_SECRETS_DIR}/${target ?? source}`,
    ),
  );

/** What a service reads that may name a secret file: its settings, commands, and the repository files mounted into it. */
function textsRead(service: Service): [string, string][] {
  const texts: [string, string][] = [
    ['its environment', JSON.stringify(service.environment ?? {})],
    ['its command', JSON.stringify([service.entrypoint, service.command, service.healthcheck?.test])],
  ];
  for (const volume of service.volumes ?? []) {
    const source = volume.split(':')[0] as string;
    if (!source.startsWith(`${ROOT}/`) || !existsSync(source)) continue;
    const files = statSync(source).isDirectory()
      ? filesUnder(source).map((file) => join(source, file))
      : [source];
    for (const file of files) texts.push([relative(ROOT, file), readFileSync(file, 'utf8')]);
  }
  return texts;
}

// --- documented exceptions -------------------------------------------------------------------------

/** Services that run as root, and why they must. */
const RUNS_AS_ROOT: Record<string, string> = {
  cockroach:
    'reads its 0600 node and root keys (CockroachDB refuses others-readable keys), which docker-compose mounts with the host owner',
  'cockroach-init': "reads root's 0600 client key, as the node does",
  cassandra:
    "its entrypoint edits cassandra.yaml and writes JMX's password file, then drops to the cassandra user",
  minio: 'the image has no other user, and its data volume starts root-owned',
  promtail: "reads the host's container logs, which only root can",
};

/** Services whose root filesystem stays writable, and why. */
const WRITABLE_ROOT: Record<string, string> = {
  cassandra: 'its entrypoint edits cassandra.yaml in place (infra/cassandra/entrypoint.sh)',
};

/** Root services that keep root's capabilities, and why. */
const KEEPS_CAPABILITIES: Record<string, string> = {
  cockroach: "root reading 0600 keys owned by the host's user is DAC_OVERRIDE",
  'cockroach-init': "root reading 0600 keys owned by the host's user is DAC_OVERRIDE",
  cassandra: 'its entrypoint chowns its directories and drops to cassandra with gosu: CHOWN, SETUID, SETGID',
  // Root-owned files only: cap_drop ALL would likely do, but no engine here can prove it.
  minio: 'not yet run without capabilities',
  promtail: 'not yet run without capabilities',
};

/** Capabilities added back to a service that drops all, and why. */
const ADDED_CAPABILITIES: Record<string, { capabilities: string[]; reason: string }> = {
  coturn: {
    capabilities: ['NET_BIND_SERVICE'],
    reason: 'turnserver carries it as a file capability; exec fails when it is outside the bounding set',
  },
};

/** Variables whose names sound secret but hold identifiers, and what they are. */
const NOT_SECRET_VARIABLES: Record<string, string> = {
  APNS_KEY_ID: "the id Apple prints beside the APNs key (the key itself is APNS_KEY_FILE's)",
};

const SECRET_NAME = /PASSWORD|SECRET|KEY|TOKEN|CREDENTIAL/i;
const URL_CREDENTIALS = /:\/\/[^/\s:@]*:[^/\s@]+@/;

// --- the secrets create-secrets.sh makes -----------------------------------------------------------

let created: string | undefined;

/** A secrets directory made by scripts/create-secrets.sh (once, in the temp dir). */
function createdSecrets(): string {
  if (created) return created;
  const dir = join(temp, 'secrets');
  const result = spawnSync('bash', [join(ROOT, 'scripts/create-secrets.sh'), dir], {
    cwd: temp,
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      SMTP_URL: 'smtps://smtp.example.com:465',
      PUBLIC_HOST: 'chat.example.com',
    },
  });
  if (result.status !== 0) throw new Error(`create-secrets.sh failed: ${result.stderr}${result.stdout}`);
  created = dir;
  return dir;
}

/** Every file under a directory, as paths relative to it. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(prefix, entry.name);
      return entry.isDirectory() ? filesUnder(dir, path) : entry.isFile() ? [path] : [];
    })
    .sort();
}

/** The compose file as written (YAML 1.1 with merge keys, as docker-compose reads it). */
const rawCompose = () =>
  parse(read(COMPOSE_FILE), { version: '1.1', merge: true }) as {
    services: Record<string, Service>;
    secrets: Record<string, { file: string }>;
  };

describe.skipIf(!dockerCompose)(
  `${COMPOSE_FILE} in docker-compose config${dockerCompose ? '' : ' (skipped: docker-compose not found)'}`,
  () => {
    let run: Run;
    let config: ComposeConfig;
    let services: [string, Service][];

    beforeAll(async () => {
      run = await composeConfig(EXAMPLE_ENV);
      // docker-compose writes YAML 1.1 (PyYAML).
      config = parse(run.stdout, { version: '1.1' }) as ComposeConfig;
      services = Object.entries(config?.services ?? {});
    });

    /** Fails listing every problem at once, one per line. */
    const expectNone = (problems: string[]) => expect(problems.join('\n')).toBe('');

    it('passes with the example .env, and no variable is left unset without a default', () => {
      expect(run.status, run.stderr).toBe(0);
      expect(run.stderr).not.toMatch(/WARNING/);
      expect(services.length).toBeGreaterThan(0);
    });

    it('stops, naming it, when a required variable is unset', async () => {
      const names = [...requiredVariables().keys()];
      const runs = await Promise.all(
        names.map((name) =>
          composeConfig(Object.fromEntries(Object.entries(EXAMPLE_ENV).filter(([k]) => k !== name))),
        ),
      );
      runs.forEach((each, index) => {
        expect(each.status, names[index]).not.toBe(0);
        expect(each.stderr).toMatch(/Missing mandatory value/);
        expect(each.stderr).toContain(`set ${names[index]} in .env`);
      });
    });

    it('pins every image to a version, ours to TAG', () => {
      const problems: string[] = [];
      for (const [name, service] of services) {
        const tag = /:([^:/@]+)$/.exec(service.image)?.[1];
        if (isOurs(service)) {
          if (tag !== EXAMPLE_ENV.TAG) problems.push(`${name}: ${service.image} is not tagged with TAG`);
        } else if (!service.image.includes('@sha256:') && !(tag && VERSION_TAG.test(tag))) {
          problems.push(`${name}: ${service.image} is not pinned to a version`);
        }
      }
      expectNone(problems);
    });

    it('gives every long-running service a health check with a start period and restarts it', () => {
      const problems: string[] = [];
      for (const [name, service] of services.filter(([name]) => !isOneShot(name))) {
        if (healthTest(service).length === 0 || disabledHealthCheck(service))
          problems.push(`${name}: no health check`);
        if (!service.healthcheck?.start_period) problems.push(`${name}: health check without start_period`);
        if (service.restart !== 'unless-stopped') problems.push(`${name}: restart is ${service.restart}`);
      }
      expectNone(problems);
    });

    it('limits every service’s memory, bounds its logs and names the service in them for promtail', () => {
      const problems: string[] = [];
      for (const [name, service] of services) {
        if (service.mem_limit === undefined) problems.push(`${name}: no mem_limit`);
        const { driver, options } = service.logging ?? { driver: 'none' };
        if (driver !== 'json-file' || !options?.['max-size'] || !options['max-file'])
          problems.push(`${name}: logs not bounded (json-file with max-size and max-file)`);
        // promtail's `service` label is the line's attrs."com.docker.compose.service".
        if (!options?.labels?.split(',').includes('com.docker.compose.service'))
          problems.push(`${name}: logs without the label com.docker.compose.service`);
      }
      expectNone(problems);
    });

    it('mounts the dashboards where Grafana’s provisioning reads them', () => {
      const provisioning = parse(read('infra/grafana/provisioning/dashboards/dashboards.yml')) as {
        providers: { options: { path: string } }[];
      };
      const targets = (config.services.grafana?.volumes ?? []).map((volume) => volume.split(':')[1]);
      for (const { options } of provisioning.providers) expect(targets).toContain(options.path);
    });

    it('runs one-shot jobs once with no health check, and what needs them waits for their success', () => {
      const problems: string[] = [];
      for (const [name, service] of services) {
        if (isOneShot(name)) {
          if (service.restart !== 'no') problems.push(`${name}: one-shot with restart ${service.restart}`);
          if (!disabledHealthCheck(service)) problems.push(`${name}: one-shot with a health check`);
        } else if (service.restart === 'no') {
          problems.push(`${name}: restart "no" but not named as a one-shot (*-init, migrate)`);
        }
        for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
          const expected = isOneShot(dependency) ? 'service_completed_successfully' : 'service_healthy';
          if (condition !== expected) problems.push(`${name}: waits for ${dependency} with ${condition}`);
        }
      }
      expectNone(problems);
    });

    it('starts the application only once migrate has succeeded', () => {
      const application = services.filter(([name, service]) => isOurs(service) && name !== 'migrate');
      expect(application.map(([name]) => name).sort()).toEqual(['api', 'realtime-gateway']);
      for (const [name, service] of application) {
        expect(service.depends_on?.migrate?.condition, name).toBe('service_completed_successfully');
      }
    });

    it('runs our images as non-root, read-only, with no capability and no privilege escalation', () => {
      for (const [name, service] of services.filter(([, service]) => isOurs(service))) {
        expect(uidOf(service), name).not.toBe(0);
        expect(service.read_only, name).toBe(true);
        expect(service.cap_drop, name).toEqual(['ALL']);
        expect(service.cap_add, name).toBeUndefined();
        expect(service.security_opt, name).toContain('no-new-privileges:true');
      }
    });

    it('runs every other service non-root, read-only and without capabilities too, but for the documented exceptions', () => {
      const problems: string[] = [];
      const names = new Set(services.map(([name]) => name));
      for (const exceptions of [RUNS_AS_ROOT, WRITABLE_ROOT, KEEPS_CAPABILITIES, ADDED_CAPABILITIES]) {
        for (const name of Object.keys(exceptions))
          if (!names.has(name)) problems.push(`${name}: an exception for a service that does not exist`);
      }
      for (const [name, service] of services) {
        const uid = uidOf(service);
        if ((uid === 0) !== name in RUNS_AS_ROOT)
          problems.push(`${name}: runs as uid ${uid}${uid === 0 ? '' : ', so remove it from RUNS_AS_ROOT'}`);
        if (!service.read_only !== name in WRITABLE_ROOT)
          problems.push(
            `${name}: read_only ${service.read_only ?? false} (WRITABLE_ROOT lists the exceptions)`,
          );
        const dropsAll = service.cap_drop?.includes('ALL') ?? false;
        if (dropsAll === name in KEEPS_CAPABILITIES)
          problems.push(
            `${name}: cap_drop ${service.cap_drop ?? 'unset'} (KEEPS_CAPABILITIES lists the exceptions)`,
          );
        const added = [...(service.cap_add ?? [])].sort();
        if (JSON.stringify(added) !== JSON.stringify(ADDED_CAPABILITIES[name]?.capabilities ?? []))
          problems.push(`${name}: cap_add ${added} (ADDED_CAPABILITIES lists the exceptions)`);
        if (!service.security_opt?.includes('no-new-privileges:true'))
          problems.push(`${name}: no no-new-privileges`);
        // Its tmpfs must be writable by the uid it runs as.
        for (const tmpfs of list(service.tmpfs)) {
          const options = tmpfs.split(':')[1] ?? '';
          const owner = /(?:^|,)uid=(\d+)/.exec(options)?.[1];
          if (owner !== undefined && Number(owner) !== uid)
            problems.push(`${name}: tmpfs ${tmpfs} belongs to uid ${owner}, the service runs as ${uid}`);
          if (uid !== 0 && owner === undefined && !/(?:^|,)mode=1777/.test(options))
            problems.push(`${name}: tmpfs ${tmpfs} needs uid=${uid} or mode=1777`);
        }
      }
      expectNone(problems);
    });

    it('runs only what each image has: its shells, its commands, scripts whose interpreter it has', () => {
      const problems: string[] = [];
      for (const [name, service] of services) {
        const facts = imageFacts(service);
        const has = new Set<string>([...facts.shells, ...facts.commands]);
        for (const program of programsOf(service)) {
          if (!has.has(program))
            problems.push(`${name}: runs ${program}, which ${service.image} does not have`);
        }
      }
      expectNone(problems);
    });

    it('keeps secret values out of the environment: NAME_FILE paths to mounted secrets instead', () => {
      const problems: string[] = [];
      for (const [name, service] of services) {
        const mounted = mountedSecretPaths(service);
        for (const [variable, raw] of Object.entries(service.environment ?? {})) {
          const value = String(raw ?? '');
          if (variable.endsWith('_FILE')) {
            if (!mounted.has(value)) problems.push(`${name}: ${variable}=${value} is not a secret it mounts`);
          } else if (SECRET_NAME.test(variable) && !(variable in NOT_SECRET_VARIABLES)) {
            problems.push(`${name}: ${variable} holds a value; give ${variable}_FILE instead`);
          }
          if (URL_CREDENTIALS.test(value)) problems.push(`${name}: ${variable} holds a URL with a password`);
        }
      }
      expectNone(problems);
    });

    it('mounts every secret its settings, commands and mounted files read from /run/secrets', () => {
      const problems: string[] = [];
      for (const [name, service] of services) {
        const mounted = mountedSecretPaths(service);
        for (const [where, text] of textsRead(service)) {
          for (const [path] of text.matchAll(/\/run\/secrets\/[A-Za-z0-9._-]+/g)) {
            if (!mounted.has(path)) problems.push(`${name}: ${where} reads ${path}, which it does not mount`);
          }
        }
      }
      expectNone([...new Set(problems)]);
    });

    it('mounts only declared secrets, each a file under ./secrets/, and declares none it does not use', () => {
      const problems: string[] = [];
      const used = new Set<string>();
      for (const [name, service] of services) {
        for (const { source } of service.secrets ?? []) {
          used.add(source);
          if (!config.secrets[source]) problems.push(`${name}: secret ${source} is not declared`);
        }
      }
      for (const [secret, { file }] of Object.entries(config.secrets)) {
        if (!file?.startsWith(`${SECRETS_DIR}/`)) problems.push(`${secret}: ${file} is not under ./secrets/`);
        if (!used.has(secret)) problems.push(`${secret}: declared but no service mounts it`);
      }
      expectNone(problems);
    });

    it('starts CockroachDB with its certificates, never --insecure, and connects with verify-full', () => {
      expect(run.stdout).not.toContain('--insecure');
      const cockroach = services.filter(([, service]) => service.image.startsWith('cockroachdb/'));
      expect(cockroach.length).toBeGreaterThan(0);
      for (const [name, service] of cockroach) {
        expect(
          list(service.command).some((arg) => arg.startsWith('--certs-dir=')),
          name,
        ).toBe(true);
      }
      for (const [name, service] of services) {
        for (const [variable, value] of Object.entries(service.environment ?? {})) {
          if (/^postgres(ql)?:\/\//.test(String(value)))
            expect(String(value), `${name} ${variable}`).toContain('sslmode=verify-full');
        }
      }
    });

    it('makes Redis require the password from its secret and keep an append-only file', () => {
      const redis = config.services.redis as Service;
      const command = list(redis.command).join(' ');
      expect(command).toMatch(/requirepass %s.*\$\$\(cat \/run\/secrets\/redis-password\)/);
      expect(command).toContain('--appendonly yes');
      expect(redis.secrets?.map(({ source }) => source)).toContain('redis-password');
    });

    it.skipIf(!openssl)('mounts secret files that the uid reading them can read', () => {
      const dir = createdSecrets();
      const problems: string[] = [];
      for (const [name, service] of services) {
        // docker-compose (without swarm) bind-mounts a secret with its host owner and mode: a
        // container that is not root, or root without DAC_OVERRIDE, reads it only if others may.
        const limited = uidOf(service) !== 0 || (service.cap_drop?.includes('ALL') ?? false);
        for (const { source } of service.secrets ?? []) {
          const file = join(dir, relative(SECRETS_DIR, config.secrets[source]?.file ?? ''));
          if (limited && !(statSync(file).mode & 0o004))
            problems.push(
              `${name}: cannot read ${source} (${relative(dir, file)} is not readable by others)`,
            );
        }
      }
      expectNone(problems);
    });
  },
);

// --- scripts/create-secrets.sh --------------------------------------------------------------------------

describe.skipIf(!openssl)('scripts/create-secrets.sh', () => {
  const secret = (path: string) => readFileSync(join(createdSecrets(), path), 'utf8').trim();

  it('makes every secret file the compose file declares, and besides them only the CA key', () => {
    const made = filesUnder(createdSecrets());
    const declared = Object.values(rawCompose().secrets).map(({ file }) => relative('./secrets', file));
    expect(declared.filter((file) => !made.includes(file))).toEqual([]);
    // The CockroachDB CA's key signs new client certificates (scripts/generate-certs.sh); no
    // container mounts it.
    expect(made.filter((file) => !declared.includes(file))).toEqual(['cockroach/ca.key']);
  });

  it('keeps them in directories only their owner enters', () => {
    expect(statSync(createdSecrets()).mode & 0o777).toBe(0o700);
    expect(statSync(join(createdSecrets(), 'cockroach')).mode & 0o777).toBe(0o700);
    expect(statSync(join(createdSecrets(), 'cockroach/ca.key')).mode & 0o777).toBe(0o600);
  });

  it('writes each in the form the service reading it accepts', () => {
    const redisPassword = secret('redis-password');
    expect(secret('redis-url')).toBe(`redis://:${redisPassword}@redis:6379/0`);
    // redis-exporter looks its password up by its REDIS_ADDR.
    const exporterAddress = rawCompose().services['redis-exporter']?.environment?.REDIS_ADDR;
    expect(JSON.parse(secret('redis-exporter-passwords'))).toEqual({
      [String(exporterAddress)]: redisPassword,
    });
    // Written into CQL and config files: infra/cassandra/init.sh and exporter.sh refuse anything else.
    for (const name of ['cassandra-password', 'cassandra-admin-password', 'cassandra-jmx-monitor-password'])
      expect(secret(name), name).toMatch(/^[A-Za-z0-9._~-]{16,}$/);
    // infra/livekit/start.sh; scripts/backup-sql.sh puts the backup keys into a URL.
    expect(secret('livekit-api-key')).toMatch(/^[A-Za-z0-9_-]+$/);
    for (const name of ['backup-s3-access-key-id', 'backup-s3-secret-access-key'])
      expect(secret(name), name).toMatch(/^[A-Za-z0-9._~/-]+$/);
    // MinIO's KMS key: a name and 32 bytes in base64.
    expect(Buffer.from(secret('minio-kms-key').split(':')[1] ?? '', 'base64')).toHaveLength(32);
    // Empty optional integrations read as unset; alerts wait for ALERT_WEBHOOK_URL.
    for (const name of [
      'fcm-service-account',
      'apns-key',
      'ai-api-key',
      'alertmanager-critical-webhook-url',
      'alertmanager-warning-webhook-url',
    ])
      expect(secret(name), name).toBe('');
  });

  it('names in DATABASE_URL the certificates the application mounts, for the users cockroach-init creates', () => {
    const url = new URL(secret('database-url'));
    expect(url.username).toBe('secureconnect');
    expect(url.searchParams.get('sslmode')).toBe('verify-full');
    const app = parse(read(COMPOSE_APP_FILE), { version: '1.1' }) as { services: Record<string, Service> };
    for (const [name, service] of Object.entries(app.services)) {
      for (const parameter of ['sslrootcert', 'sslcert', 'sslkey']) {
        const file = url.searchParams.get(parameter) ?? '';
        expect(file.startsWith(`${COMPOSE_SECRETS_DIR}/`), parameter).toBe(true);
        expect(service.secrets, `${name} ${parameter}`).toContain(basename(file));
      }
    }
    const init = read('infra/cockroach/init.sql');
    const ca = new X509Certificate(readFileSync(join(createdSecrets(), 'cockroach/ca.crt')));
    for (const user of ['secureconnect', 'backup', 'root']) {
      const certificate = new X509Certificate(
        readFileSync(join(createdSecrets(), `cockroach/client.${user}.crt`)),
      );
      expect(certificate.subject).toContain(`CN=${user}`);
      expect(certificate.verify(ca.publicKey), user).toBe(true);
      if (user !== 'root') expect(init).toContain(`CREATE USER IF NOT EXISTS ${user};`);
    }
    const node = new X509Certificate(readFileSync(join(createdSecrets(), 'cockroach/node.crt')));
    expect(node.subjectAltName).toContain('DNS:cockroach');
  });

  it('makes the router a certificate for PUBLIC_HOST, matching its key', () => {
    const certificate = new X509Certificate(secret('router-tls-crt'));
    expect(certificate.subjectAltName).toBe('DNS:chat.example.com');
    expect(certificate.checkPrivateKey(createPrivateKey(secret('router-tls-key')))).toBe(true);
  });

  it('keeps every existing file when run again', () => {
    const dir = createdSecrets();
    const before = Object.fromEntries(
      filesUnder(dir).map((file) => [file, readFileSync(join(dir, file), 'utf8')]),
    );
    const again = spawnSync('bash', [join(ROOT, 'scripts/create-secrets.sh'), dir], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('every secret already exists');
    const after = Object.fromEntries(
      filesUnder(dir).map((file) => [file, readFileSync(join(dir, file), 'utf8')]),
    );
    expect(after).toEqual(before);
  });
});
