import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../config/env';
import { createLogger } from '../observability/logger';
import { Metrics } from '../observability/metrics';
import { Platform } from '../platform/platform';

/** A platform whose log lines are captured as parsed JSON, for tests of the HTTP kit itself. */
export function capturingPlatform(env: Record<string, string> = {}): {
  platform: Platform;
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'sc-platform-'));
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'debug', DATA_DIR: dataDir, ...env });
  const logger = createLogger({ level: config.LOG_LEVEL, service: 'test', destination });
  return { platform: new Platform(config, logger, new Metrics()), lines };
}
