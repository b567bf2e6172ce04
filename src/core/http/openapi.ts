import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';
import type { FastifyInstance } from 'fastify';

type Operation = {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: Record<string, unknown>; description?: string }>;
  responses: Record<string, { description?: string; content?: Record<string, unknown> }>;
  security?: unknown[];
};
type Schema = { type?: string; properties?: Record<string, Schema>; items?: Schema; [k: string]: unknown };

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** The error body every non-2xx answer carries (RFC 9457 problem details). */
const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', example: 'https://hearth.dev/problems/validation-failed' },
    title: { type: 'string', example: 'Bad Request' },
    status: { type: 'integer', example: 400 },
    detail: { type: 'string' },
    code: { type: 'string', pattern: '^[A-Z][A-Z0-9_]*$', example: 'VALIDATION_FAILED' },
    errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
    requestId: { type: 'string' },
  },
};

/** Answers any route may give, whatever it declares: the input guard (400), a bad token (401), an unknown id (404). */
const GENERIC_ERRORS: Record<string, string> = {
  '400': 'VALIDATION_FAILED, MALFORMED_JSON or INVALID_CURSOR: the request is not valid',
  '401': 'UNAUTHENTICATED: no valid access token (public routes answer 401 only to an invalid one)',
};

/**
 * Builds the OpenAPI document from the controllers and DTOs (the same classes the server validates
 * with), then makes it tell the whole truth where decorators cannot: every path parameter declared,
 * every error answer a problem+json with its schema, every `@IsInt()` field typed `integer`.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Hearth API')
      .setDescription(
        'The community server brands run for their customers. Errors are RFC 9457 problem+json with a stable `code`. ' +
          'This document is public: it describes a public API.',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  document.components ??= {};
  document.components.schemas ??= {};
  document.components.schemas.Problem = PROBLEM_SCHEMA as never;
  typeIntegers(document.components.schemas as Record<string, Schema>);
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = (item as Record<string, Operation | undefined>)[method];
      if (operation) completeOperation(path, operation);
    }
  }
  return document;
}

function completeOperation(path: string, operation: Operation) {
  const declared = new Set((operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name));
  for (const [, name] of path.matchAll(/\{(\w+)\}/g)) {
    if (declared.has(name)) continue;
    operation.parameters ??= [];
    operation.parameters.push({ name, in: 'path', required: true, schema: { type: 'string' }, description: name === 'slug' ? 'The community\'s slug' : undefined });
  }
  const errors: Record<string, string> = { ...GENERIC_ERRORS };
  if (declared.size || /\{\w+\}/.test(path)) errors['404'] = 'NOT_FOUND: no such resource, or one the caller may not see';
  for (const [status, description] of Object.entries(errors)) operation.responses[status] ??= { description };
  for (const [status, response] of Object.entries(operation.responses)) {
    if (Number(status) >= 400) response.content = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
  }
}

/** Every property a DTO validates with `@IsInt()` is an `integer` in its schema (and in arrays of it). */
function typeIntegers(schemas: Record<string, Schema>) {
  const storage = getMetadataStorage() as unknown as { validationMetadatas: Map<{ name: string }, Array<{ name?: string; propertyName: string }>> };
  for (const [target, metadatas] of storage.validationMetadatas) {
    const schema = schemas[target.name];
    if (!schema?.properties) continue;
    for (const m of metadatas) {
      if (m.name !== 'isInt') continue;
      const property = schema.properties[m.propertyName];
      if (!property) continue;
      if (property.type === 'number') property.type = 'integer';
      else if (property.type === 'array' && property.items?.type === 'number') property.items.type = 'integer';
    }
  }
}

/** Every route Fastify serves, as `METHOD /path/{param}`, recorded as they are added (for the test that holds the document to the routes). */
export function recordRoutes(fastify: FastifyInstance): Set<string> {
  const routes = new Set<string>();
  fastify.addHook('onRoute', (route) => {
    // Web pages (src/web) are HTML for browsers, not API: they are not in the document.
    if ((route.config as { page?: boolean } | undefined)?.page) return;
    for (const method of [route.method].flat()) {
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      routes.add(`${method} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
    }
  });
  return routes;
}

export function setupOpenApi(app: INestApplication): OpenAPIObject {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
  return document;
}
