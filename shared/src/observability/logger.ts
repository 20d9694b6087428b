import { type Logger, pino } from 'pino';

export type { Logger };

/** Paths pino replaces with "[redacted]" wherever a log line carries them. */
export const REDACTED_PATHS = [
  'authorization',
  'cookie',
  'password',
  'currentPassword',
  'newPassword',
  'token',
  'accessToken',
  'refreshToken',
  '*.authorization',
  '*.cookie',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
];

export interface LoggerOptions {
  level: string;
  service: string;
  destination?: pino.DestinationStream;
}

/**
 * One JSON logger per process. Secrets never reach the output: known fields are redacted,
 * and request logging records paths, never bodies or query strings.
 */
export function createLogger({ level, service, destination }: LoggerOptions): Logger {
  return pino(
    {
      level,
      base: { service },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
