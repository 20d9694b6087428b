import type { Context } from 'hono';
import * as v from 'valibot';
import { badRequest, type FieldError, ProblemError } from '../errors/problem';

export type AnySchema = v.GenericSchema<unknown, unknown>;

/** The parts of a request a function may declare a schema for. */
export interface RequestSchemas {
  body?: AnySchema;
  query?: AnySchema;
  params?: AnySchema;
}

type Output<S> = S extends AnySchema ? v.InferOutput<S> : undefined;

export interface ValidatedInput<R extends RequestSchemas> {
  body: Output<R['body']>;
  query: Output<R['query']>;
  params: Output<R['params']>;
}

function fieldErrors(location: string, issues: v.BaseIssue<unknown>[]): FieldError[] {
  return issues.map((issue) => {
    const path = issue.path?.map((item) => String(item.key)).join('.');
    // valibot reports a missing key as a type error of the object; say what a client needs to hear.
    const missing = issue.type === 'object' && issue.received === 'undefined';
    return {
      field: path ? `${location}.${path}` : location,
      message: missing ? 'is required' : issue.message,
    };
  });
}

function check<S extends AnySchema>(location: string, schema: S, input: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, input, { abortPipeEarly: true });
  if (result.success) return result.output;
  const errors = fieldErrors(location, result.issues);
  throw badRequest(`The request ${location} is invalid: ${errors.map((e) => e.field).join(', ')}.`, errors);
}

/** `application/json` and its structured-syntax relatives (`application/merge-patch+json`…). */
export const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

async function readJsonBody(c: Context): Promise<unknown> {
  const mediaType = c.req.header('content-type')?.split(';')[0]?.trim() ?? '';
  if (!JSON_MEDIA_TYPE.test(mediaType)) {
    throw new ProblemError(
      415,
      'unsupported-media-type',
      `The request body must be application/json${mediaType ? `, not ${mediaType}` : ''}.`,
    );
  }
  const text = await c.req.text();
  if (text.trim() === '') return undefined;
  let body: unknown;
  try {
    // Only an escape can produce a lone surrogate (decoding UTF-8 replaces invalid bytes).
    body = JSON.parse(text, SURROGATE_ESCAPE.test(text) ? refuseLoneSurrogates : undefined);
  } catch (error) {
    if (error instanceof ProblemError) throw error;
    throw new ProblemError(400, 'malformed-json', 'The request body is not valid JSON.');
  }
  return body;
}

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * JSON allows `"\ud800"`, but such a string is not Unicode text: it cannot be stored as JSON in
 * PostgreSQL or CockroachDB, nor encoded as UTF-8 for anyone else. Refused up front, with a 400.
 */
function refuseLoneSurrogates(key: string, value: unknown): unknown {
  if (LONE_SURROGATE.test(key) || (typeof value === 'string' && LONE_SURROGATE.test(value))) {
    throw new ProblemError(
      400,
      'invalid-unicode',
      'The request body holds a string that is not valid Unicode (an unpaired surrogate escape).',
    );
  }
  return value;
}

/** Collapses repeated query keys into arrays and single ones into strings, as schemas expect. */
function readQuery(c: Context): Record<string, string | string[]> {
  const all = c.req.queries();
  return Object.fromEntries(
    Object.entries(all).map(([key, values]) => [key, values.length === 1 ? values[0]! : values]),
  );
}

/**
 * Reads and validates the declared parts of a request. Failures become problem+json answers:
 * 415 for a body that is not JSON, 400 for malformed JSON, 400 with field-level `errors` for
 * schema violations. Undeclared parts are not read.
 */
export async function validateRequest<R extends RequestSchemas>(
  c: Context,
  schemas: R,
): Promise<ValidatedInput<R>> {
  const params = schemas.params ? check('param', schemas.params, c.req.param()) : undefined;
  const query = schemas.query ? check('query', schemas.query, readQuery(c)) : undefined;
  const body = schemas.body ? check('body', schemas.body, (await readJsonBody(c)) ?? {}) : undefined;
  return { body, query, params } as ValidatedInput<R>;
}
