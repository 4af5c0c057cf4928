/**
 * The operator console's built files (packages/console/dist) under /console/, and
 * the root URL sent there. Every console response carries a strict
 * Content-Security-Policy: scripts and styles from this origin only, no inline
 * script, no framing. When the console has not been built the server still runs
 * and says how to build it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';

export const CONSOLE_PREFIX = '/console/';

/** No inline script or style element, nothing from elsewhere, never in a frame. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

/** packages/console/dist, from src/http/ (or a compiled dist/http/: the same depth). */
export function defaultConsoleDir(): string {
  return fileURLToPath(new URL('../../../console/dist/', import.meta.url));
}

export interface ConsoleOptions {
  /** The built console (default: packages/console/dist, or $MYNA_CONSOLE_DIR). */
  readonly dir?: string;
}

function notBuilt(reply: FastifyReply, dir: string) {
  return reply
    .code(503)
    .type('application/json; charset=utf-8')
    .send({
      code: 'CONSOLE_NOT_BUILT',
      message: {
        en: `the operator console is not built (${dir}): run npm run build -w @myna-ap/console`,
        ja: `オペレーター画面がビルドされていません（${dir}）。npm run build -w @myna-ap/console を実行してください`,
      },
    });
}

export async function consolePlugin(app: FastifyInstance, o: ConsoleOptions = {}): Promise<void> {
  const dir = o.dir ?? process.env.MYNA_CONSOLE_DIR ?? defaultConsoleDir();
  app.get('/', async (_req, reply) => reply.redirect(CONSOLE_PREFIX, 302));
  app.get('/console', async (_req, reply) => reply.redirect(CONSOLE_PREFIX, 301));
  if (!existsSync(join(dir, 'index.html'))) {
    app.get('/console/*', async (_req, reply) => notBuilt(reply, dir));
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: CONSOLE_PREFIX,
    index: 'index.html',
    // Hashed asset names change with their content; index.html must be asked again.
    setHeaders(res, path) {
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
      res.setHeader(
        'cache-control',
        path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
}
