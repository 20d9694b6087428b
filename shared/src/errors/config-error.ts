/**
 * Thrown when the environment does not describe a runnable configuration.
 * Entry points print `message` as one line and exit(1): never a stack trace, never a crash loop.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
