import { toJsonSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';
import { type AnyFunction, publicFunctions } from './define-function';
import type { AnySchema } from './validation';

type JsonSchema = Record<string, unknown>;

/** Transforms and checks have no JSON Schema form; the structural part is still documented. */
const jsonSchema = (schema: AnySchema): JsonSchema => {
  const { $schema: _, ...rest } = toJsonSchema(schema as v.GenericSchema, {
    errorMode: 'ignore',
  }) as JsonSchema;
  return rest;
};

const PROBLEM_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

function parameters(location: 'path' | 'query', schema: AnySchema | undefined) {
  if (!schema) return [];
  const { properties = {}, required = [] } = jsonSchema(schema) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || required.includes(name),
    schema: property,
  }));
}

function operation(fn: AnyFunction) {
  const { request, response } = fn;
  const responses: Record<string, unknown> = {
    [response.status]: response.schema
      ? {
          description: response.description,
          content: { 'application/json': { schema: jsonSchema(response.schema) } },
        }
      : { description: response.description },
    400: problem('Malformed JSON or invalid input; `errors` names each field'),
    413: problem('The body is larger than the configured limit'),
    415: problem('The body is not application/json'),
    429: problem('Rate limited; see Retry-After'),
    503: problem('A dependency is unavailable; see Retry-After'),
    504: problem('The request exceeded the global timeout'),
  };
  if (fn.auth !== 'public') responses[401] = problem('Missing, invalid, expired or revoked access token');
  if (fn.auth === 'admin') responses[403] = problem('The caller lacks the admin role');
  return {
    operationId: fn.name,
    summary: fn.summary,
    ...(fn.description ? { description: fn.description } : {}),
    tags: fn.tags,
    ...(fn.auth === 'public' ? { security: [] } : {}),
    parameters: [...parameters('path', request.params), ...parameters('query', request.query)],
    ...(request.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchema(request.body) } },
          },
        }
      : {}),
    responses,
  };
}

/**
 * The OpenAPI 3.1 document for a set of functions, generated from their manifests and valibot
 * schemas so it cannot drift from what the functions accept.
 */
export function buildOpenApiDocument(
  functions: AnyFunction[],
  info: { version: string; serverUrl?: string },
) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const fn of publicFunctions(functions).sort((a, b) => a.path.localeCompare(b.path))) {
    const openApiPath = fn.path.replace(/:(\w+)/g, '{$1}');
    paths[openApiPath] ??= {};
    paths[openApiPath][fn.method.toLowerCase()] = operation(fn);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'SecureConnect API',
      version: info.version,
      description:
        'Every operation is also reachable as `/function/<operationId>/<path>` (its OpenFaaS URL). Errors are RFC 9457 problem+json.',
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Problem: PROBLEM_SCHEMA },
    },
    paths,
  };
}
