/**
 * The HTTP server (Fastify). The loader's route groups are plugins of their own
 * (http/routes.ts); other packages mount theirs beside them (http/mount.ts,
 * docs/server.md). Every input goes through the route's zod schemas; every
 * refusal is `{ code, message: { en, ja } }` with a 4xx status; only a fault of
 * our own is a 5xx (and is logged). Authentication is a hook (http/auth.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import Fastify, {
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import websocket from '@fastify/websocket';
import { ZodError, z } from 'zod';
import { LOADER_ERRORS, LoaderError, type LoaderErrorCode } from '../errors.ts';
import { sqlState } from '@myna-ap/db';
import type { Ctx, Session } from '../store/context.ts';
import type { ApiCtx, Route } from './route.ts';
import { CardJobs, type JobsOptions } from '../cardops/jobs.ts';
import { ROUTE_GROUPS, routes as allRoutes } from './routes.ts';
import { openApiDocument } from './openapi.ts';
import { installAuth } from './auth.ts';
import { mount, mountContext, type Mount } from './mount.ts';
import { CLIENT_OPERATIONS } from './clientAuth.ts';
import { LoginLimiter } from './loginLimiter.ts';
import { TOKEN_LIMITS } from './clientRoutes.ts';

export const API_VERSION = '0.1.0';

/** A code the API may answer with (the database's start-up codes never reach it: they are faults here). */
function isApiCode(code: string): code is LoaderErrorCode {
  return Object.hasOwn(LOADER_ERRORS, code);
}

export interface ServerOptions {
  /** pino logger options, or false (tests). */
  readonly logger?: boolean | Record<string, unknown>;
  /** The loader's route groups (default: all of http/routes.ts), each registered as a plugin. */
  readonly routeGroups?: Readonly<Record<string, readonly Route[]>>;
  /** Plugins of other packages, mounted beside the loader's routes (docs/server.md). */
  readonly mounts?: readonly Mount[];
  /**
   * Check every JSON answer against its contract schema, extra fields included, and
   * answer 500 when it does not hold (default: on under `node --test`, or with
   * MYNA_CHECK_RESPONSES=1): how the tests keep contract/results.ts true.
   */
  readonly checkResponses?: boolean;
  /** Largest accepted body (default 64 KiB: nothing in this API is larger). */
  readonly bodyLimit?: number;
  /** Card jobs (the APDU relay): limits and timeouts. */
  readonly jobs?: JobsOptions;
  /** Serve HTTPS with this certificate chain and key (PEM). */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /**
   * The reverse proxies whose X-Forwarded-For/-Proto/-Host are believed (addresses
   * or CIDRs, comma-separated): then the caller's address, the scheme (Secure
   * cookies) and the host (JWT audience, WebAuthn origin) are the proxy's client's.
   */
  readonly trustProxy?: string;
}

function send(
  reply: FastifyReply,
  status: number,
  code: LoaderErrorCode,
  en: string,
  ja: string,
  detail?: unknown,
) {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send({ code, message: { en, ja }, ...(detail === undefined ? {} : { detail }) });
}

function zodMessage(where: string, e: ZodError): { en: string; ja: string; detail: unknown } {
  const issues = e.issues.slice(0, 10).map((i) => ({
    path: [where, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  const first = issues[0];
  const en = first ? `invalid ${first.path}: ${first.message}` : `invalid ${where}`;
  return { en, ja: `入力が正しくありません（${first?.path ?? where}）`, detail: { issues } };
}

/** Fastify's own refusals (parsing, routing) in our shape, with stable codes. */
const FRAMEWORK: Readonly<Record<string, { code: LoaderErrorCode; en: string; ja: string }>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    code: 'BAD_JSON',
    en: 'the body is not valid JSON',
    ja: '本文がJSONとして正しくありません',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'BAD_JSON',
    en: 'the JSON body is empty',
    ja: 'JSONの本文が空です',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'BODY_TOO_LARGE',
    en: 'the body is too large',
    ja: '本文が大きすぎます',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    en: 'send the body as application/json',
    ja: '本文は application/json で送ってください',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'BAD_CONTENT_LENGTH',
    en: 'the Content-Length does not match the body',
    ja: 'Content-Length が本文と一致しません',
  },
  FST_ERR_MAX_PARAM_LENGTH: {
    code: 'PATH_TOO_LONG',
    en: 'a path segment is too long',
    ja: 'URLのパスが長すぎます',
  },
  FST_ERR_BAD_URL: { code: 'BAD_URL', en: 'the URL is malformed', ja: 'URLが正しくありません' },
};

function frameworkRefusal(
  reply: FastifyReply,
  status: number,
  code: string | undefined,
  message: string | undefined,
) {
  const known = code ? FRAMEWORK[code] : undefined;
  if (known) return send(reply, status, known.code, known.en, known.ja);
  return send(
    reply,
    status,
    'BAD_REQUEST',
    message ?? 'bad request',
    'リクエストの形式が正しくありません',
  );
}

/** PostgreSQL text cannot hold U+0000: refuse it at the door, wherever it hides. */
function hasNul(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return v.includes('\u0000');
  if (depth > 32 || v === null || typeof v !== 'object') return false;
  for (const [k, x] of Object.entries(v))
    if (k.includes('\u0000') || hasNul(x, depth + 1)) return true;
  return false;
}

/** The parsed input of a request, between its preValidation and its handler. */
interface Parsed {
  readonly params: unknown;
  readonly query: unknown;
  readonly body: unknown;
}

function parseInput(r: Route, req: FastifyRequest): Parsed {
  const parse = (where: string, schema: z.ZodType | undefined, value: unknown): unknown => {
    const s = schema ?? z.any();
    const out = s.safeParse(value ?? (where === 'body' ? undefined : {}));
    if (!out.success) {
      const m = zodMessage(where, out.error);
      throw new LoaderError(
        'VALIDATION',
        { en: m.en, ja: m.ja },
        400,
        m.detail as Record<string, unknown>,
      );
    }
    return out.data;
  };
  if (hasNul(req.params) || hasNul(req.query) || hasNul(req.body)) {
    throw new LoaderError('NUL_IN_INPUT', {
      en: 'text may not contain the NUL character (U+0000)',
      ja: '文字列にNUL文字（U+0000）は使用できません',
    });
  }
  return {
    params: parse('params', r.params, req.params),
    query: parse('query', r.query ?? z.object({}).strict(), req.query),
    body: r.body ? parse('body', r.body, req.body) : undefined,
  };
}

/** A JSON answer that its contract schema does not describe exactly (checkResponses). */
function contractMismatch(r: Route, body: unknown): string | undefined {
  const wire: unknown = body === undefined ? undefined : JSON.parse(JSON.stringify(body));
  const out = r.response.safeParse(wire);
  if (!out.success) return out.error.message;
  // z.object drops undeclared keys: an answer with more than the contract says differs here.
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(out.data)), wire))
    return 'the answer has fields the contract does not declare';
  return undefined;
}

/** One route group as an encapsulated Fastify plugin. */
function routeGroup(group: readonly Route[], api: ApiCtx, check: boolean): FastifyPluginAsync {
  return async (app) => {
    // OAuth's token request is form-encoded (RFC 6749 §4.4.2): only a group whose
    // operation says so reads that type, every other stays JSON only.
    if (group.some((r) => r.form === true)) {
      app.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string' },
        (_req, text, done) => done(null, Object.fromEntries(new URLSearchParams(text as string))),
      );
    }
    for (const r of group) {
      const parsed = new WeakMap<FastifyRequest, Parsed>();
      app.route({
        method: r.method,
        url: r.path,
        config: { public: !r.auth, client: CLIENT_OPERATIONS.has(r.name as never) },
        // Input first, then the auth hook (preHandler), then the handler.
        preValidation: async (req) => {
          parsed.set(req, parseInput(r, req));
        },
        handler: async (req, reply) => {
          const input = parsed.get(req)!;
          const res = await r.handler(api, {
            ...input,
            session: req.operator as Session,
            token: req.operatorToken,
            authorization: req.headers.authorization,
            address: req.ip,
            origin: `${req.protocol}://${req.host}`,
          });
          const json = !res.headers?.['content-type'];
          if (check && json) {
            const why = contractMismatch(r, res.body);
            if (why) throw new Error(`${r.method} ${r.path} answered outside its contract: ${why}`);
          }
          if (res.headers) void reply.headers(res.headers);
          return reply.code(res.status ?? 200).send(res.body);
        },
      });
    }
  };
}

export function buildServer(ctx: Ctx, options: ServerOptions = {}): FastifyInstance {
  const groups = options.routeGroups ?? ROUTE_GROUPS;
  const check =
    options.checkResponses ??
    (process.env.NODE_TEST_CONTEXT !== undefined || process.env.MYNA_CHECK_RESPONSES === '1');
  // One instance type for HTTP and HTTPS: the routes do not care which.
  const app = Fastify({
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
    ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}),
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    // Ids in paths are short; anything longer is refused before routing.
    routerOptions: { maxParamLength: 200 },
    // Errors raised before routing (bad URL, over-long parameter) in our shape too.
    frameworkErrors: (err, _req, reply) => {
      const e = err as { statusCode?: number; code?: string; message?: string };
      void frameworkRefusal(
        reply,
        e.statusCode && e.statusCode < 500 ? e.statusCode : 400,
        e.code,
        e.message,
      );
    },
  });
  // The API speaks JSON only.
  app.removeContentTypeParser('text/plain');
  const jobs = new CardJobs({
    ...options.jobs,
    onFault: (e) => app.log.error({ err: e }, 'card job fault'),
  });
  const api: ApiCtx = { ...ctx, jobs, tokenLimiter: new LoginLimiter(TOKEN_LIMITS) };
  app.addHook('onClose', async () => jobs.close());

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof LoaderError && isApiCode(err.code)) {
      // A rate limit says when to come back (RFC 9110 §10.2.3).
      const retry = err.detail?.retryAfterS;
      if (typeof retry === 'number') void reply.header('retry-after', String(retry));
      return send(reply, err.status, err.code, err.text.en, err.text.ja, err.detail);
    }
    if (err instanceof ZodError) {
      const m = zodMessage('input', err);
      return send(reply, 400, 'VALIDATION', m.en, m.ja, m.detail);
    }
    const e = err as { statusCode?: number; code?: string; message?: string };
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return frameworkRefusal(reply, e.statusCode, e.code, e.message);
    }
    if (sqlState(err)?.startsWith('22')) {
      // A data exception from the database is still the caller's value: say so.
      return send(
        reply,
        400,
        'INVALID_VALUE',
        'a value was refused by the database',
        '値がデータベースで受け付けられませんでした',
      );
    }
    req.log.error({ err }, 'internal error');
    return send(
      reply,
      500,
      'INTERNAL',
      'internal error; see the server log',
      '内部エラーが発生しました。サーバのログを確認してください',
    );
  });

  app.setNotFoundHandler((req, reply) =>
    send(
      reply,
      404,
      'ROUTE_NOT_FOUND',
      `no route ${req.method} ${req.url.split('?')[0]}`,
      'そのURLはありません',
    ),
  );

  installAuth(app, ctx);
  // At the root, so that any mounted plugin may declare `{ websocket: true }` routes.
  void app.register(websocket, { options: { maxPayload: 1024 * 1024 } });

  const groupRoutes = options.routeGroups ? Object.values(groups).flat() : allRoutes;
  const doc = openApiDocument(groupRoutes, API_VERSION);
  app.get('/openapi.json', { config: { public: true } }, async (_req, reply) => reply.send(doc));

  for (const group of Object.values(groups)) void app.register(routeGroup(group, api, check));
  const seam = mountContext(api);
  for (const m of options.mounts ?? []) void mount(app, m, seam);
  return app;
}
