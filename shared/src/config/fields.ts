/**
 * Valibot field types for settings read from strings (environment variables, Worker bindings), and
 * the one-line error every entry point prints for a bad one. Pure: the edge router (workerd) uses
 * them as the Node processes do.
 */
import * as v from 'valibot';
import { ConfigError } from '../errors/config-error';

export const integer = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  v.optional(
    v.pipe(
      v.string(),
      v.trim(),
      v.regex(/^\d+$/, 'must be a whole number'),
      v.transform(Number),
      v.minValue(min, `must be at least ${min}`),
      v.maxValue(max, `must be at most ${max}`),
    ),
    String(fallback),
  );

export const flag = (fallback: 'on' | 'off') =>
  v.optional(
    v.pipe(
      v.string(),
      v.trim(),
      v.toLowerCase(),
      v.picklist(['on', 'off', 'true', 'false', '1', '0'], 'must be on or off'),
      v.transform((value) => ['on', 'true', '1'].includes(value)),
    ),
    fallback,
  );

export const url = (protocols: string[]) =>
  v.optional(
    v.pipe(
      v.string(),
      v.trim(),
      v.url('must be a URL'),
      v.check(
        (value) => protocols.includes(new URL(value).protocol),
        `must use ${protocols.map((p) => p.replace(':', '://')).join(' or ')}`,
      ),
    ),
  );

/** `a, b,c` → `['a', 'b', 'c']`. */
const commaSeparated = v.transform((value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);

/** A comma-separated list whose items each pass `item`, described by `message`; empty by default. */
export const listOf = (item: (value: string) => boolean, message: string, fallback = '') =>
  v.optional(
    v.pipe(
      v.string(),
      commaSeparated,
      v.check((items) => items.every(item), message),
    ),
    fallback,
  );

export const list = listOf(() => true, '');

/** `points/seconds`, e.g. `10/60` allows 10 attempts per minute. */
export const rateLimit = (fallback: string) =>
  v.optional(
    v.pipe(
      v.string(),
      v.trim(),
      v.regex(/^\d+\/\d+$/, 'must look like points/seconds, e.g. 10/60'),
      v.transform((value) => {
        const [points, seconds] = value.split('/').map(Number) as [number, number];
        return { points, durationSeconds: seconds };
      }),
      v.check(({ points, durationSeconds }) => points > 0 && durationSeconds > 0, 'must be positive'),
    ),
    fallback,
  );

/**
 * Parses the entries `schema` declares out of `source`; the first failure becomes a ConfigError of
 * one line naming the setting, showing the value given unless the setting is a secret.
 */
export function parseSettings<TSchema extends v.GenericSchema<Record<string, unknown>, unknown>>(
  schema: TSchema,
  names: readonly string[],
  source: Record<string, string | undefined>,
  secretNames: readonly string[],
): v.InferOutput<TSchema> {
  const known = Object.fromEntries(names.map((key) => [key, source[key] === '' ? undefined : source[key]]));
  const result = v.safeParse(schema, known);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const name = String(issue.path?.[0]?.key ?? 'configuration');
  const given = known[name];
  const shown = secretNames.includes(name) || given === undefined ? '' : ` (got ${JSON.stringify(given)})`;
  throw new ConfigError(`${name}: ${issue.message}${shown}`);
}
