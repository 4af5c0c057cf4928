/** OpenAPI 3.1 document built from the route declarations (JSON Schema 2020-12 from zod). */
import { z } from 'zod';
import type { Route } from './route.ts';
import { errorSchema } from '../contract/schemas.ts';

function schema(t: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const s = z.toJSONSchema(t, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  delete s.$schema;
  return s;
}

function parameters(r: Route): unknown[] {
  const out: unknown[] = [];
  for (const [where, t] of [
    ['path', r.params],
    ['query', r.query],
  ] as const) {
    if (!t) continue;
    const s = schema(t, 'input') as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, ps] of Object.entries(s.properties ?? {})) {
      out.push({
        name,
        in: where,
        required: where === 'path' || (s.required ?? []).includes(name),
        schema: ps,
      });
    }
  }
  return out;
}

export function openApiDocument(
  routes: readonly Route[],
  version: string,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const p = r.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const op: Record<string, unknown> = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method.toLowerCase()}${p.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      parameters: parameters(r),
      responses: {
        [String(r.status ?? 200)]: {
          description: 'success',
          content: {
            'application/json': { schema: r.response ? schema(r.response, 'output') : {} },
          },
        },
        '4XX': {
          description: 'the request was refused; `code` is stable, `message` has en and ja',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    };
    if (r.body) {
      op.requestBody = {
        required: true,
        content: { 'application/json': { schema: schema(r.body, 'input') } },
      };
    }
    if (r.auth) op.security = [{ bearer: [] }];
    (paths[p] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'myna-ap loading system (カードAP搭載システム)',
      version,
      description:
        'Providers, operators, card AP registry, consents, card AP instances and the audit log. ' +
        'Log in with POST /v1/login, then send `Authorization: Bearer <token>`.',
    },
    paths,
    components: {
      schemas: { Error: schema(errorSchema, 'output') },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
  };
}
