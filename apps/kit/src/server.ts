/**
 * The server every business system starts from: Fastify with the form-body parser
 * (the staff pages post forms), one error handler that answers a form with a page
 * and anything else with `{ code, message: { en, ja } }`, the 404 in the same
 * words, and `/healthz`. The small HTML helpers the server-rendered pages share
 * are here too, so a page escapes and shows a message one way.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Text } from '@myna-ap/text';
import { AppError, KIT_ERRORS, KitError } from './errors.ts';

export interface AppServerOptions {
  /** The title of an error page, e.g. `図書館 — エラー`. */
  readonly errorTitle: string;
  /** The largest request body (64 KiB). */
  readonly bodyLimit?: number;
  /** Extra CSS of the app's pages. */
  readonly css?: string;
}

/** Text for HTML: the five characters that matter escaped. */
export const esc = (s: string | number): string =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const CSS =
  'body{font-family:sans-serif;margin:2em;max-width:64em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2em .6em;text-align:left}.en{color:#555;font-size:.85em}.ng{border:2px solid #b00;padding:.6em}.ok{border:2px solid #070;padding:.6em}textarea{width:20em}';

/** A whole page, Japanese first (`lang="ja"`); `body` is HTML the caller escaped. */
export function htmlPage(title: string, body: string, css = ''): string {
  return `<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>${CSS}${css}</style>
</head><body>${body}</body></html>`;
}

/** A message box (Japanese, then English) with the way back to the start page. */
export const said = (t: Text, cls: 'ok' | 'ng'): string =>
  `<div class="${cls}"><p><strong>${esc(t.ja)}</strong></p><p class="en">${esc(t.en)}</p></div><p><a href="/">戻る <span class="en">back</span></a></p>`;

/** A form post gets a page back; anything else JSON. */
export const fromForm = (req: FastifyRequest): boolean =>
  (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');

/** Sends `text` as the page a form gets, or as `json` to anything else. */
export function answerPage(
  req: FastifyRequest,
  reply: FastifyReply,
  o: { status: number; title: string; text: Text; json: unknown; ok: boolean; css?: string },
): FastifyReply {
  return fromForm(req)
    ? reply
        .code(o.status)
        .type('text/html; charset=utf-8')
        .send(htmlPage(o.title, said(o.text, o.ok ? 'ok' : 'ng'), o.css))
    : reply.code(o.status).send(o.json);
}

/** Fastify with the form parser, the error and 404 answers and `/healthz`. */
export function appServer(o: AppServerOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: o.bodyLimit ?? 64 * 1024 });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );
  const refuse = (req: FastifyRequest, reply: FastifyReply, e: AppError) =>
    answerPage(req, reply, {
      status: e.status,
      title: o.errorTitle,
      text: e.text,
      json: { code: e.code, message: e.text },
      ok: false,
      ...(o.css ? { css: o.css } : {}),
    });
  app.setErrorHandler((e, req, reply) => {
    if (e instanceof AppError) return refuse(req, reply, e);
    const status = (e as { statusCode?: number }).statusCode;
    // Fastify's own 4xx (a body that is not JSON, too large, …): the request's fault.
    if (status && status >= 400 && status < 500)
      return refuse(
        req,
        reply,
        new AppError(
          'BAD_REQUEST',
          { en: (e as Error).message, ja: KIT_ERRORS.BAD_REQUEST.ja },
          status,
        ),
      );
    return refuse(req, reply, new KitError('INTERNAL'));
  });
  app.setNotFoundHandler((req, reply) => refuse(req, reply, new KitError('NOT_FOUND')));
  app.get('/healthz', async () => ({ ok: true }));
  return app;
}
