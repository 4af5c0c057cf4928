/**
 * The operator console's built files under /console/, mounted through the seam
 * (http/mount.ts, docs/server.md), and the root URL sent there. Every console
 * answer carries a strict Content-Security-Policy: scripts and styles from this
 * origin only, no inline script, no framing. When the console has not been built
 * the server still runs and says how to build it.
 *
 * The loader does not know where the console lives: the composition root (the
 * CLI) passes the folder, `@myna-ap/console`'s dist/.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { LoaderError } from '../errors.ts';
import type { Mount } from './mount.ts';

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

function notBuilt(dir: string): LoaderError {
  return new LoaderError('CONSOLE_NOT_BUILT', {
    en: `the operator console is not built (${dir}): run npm run build`,
    ja: `オペレーター画面がビルドされていません（${dir}）。npm run build を実行してください`,
  });
}

/**
 * The console mount: `dir` is the console's built folder (index.html and assets/).
 * Public: the login page must load before anyone has a session.
 */
export function consoleMount(dir: string): Mount {
  return {
    name: 'console',
    public: true,
    async plugin(app) {
      app.get('/', async (_req, reply) => reply.redirect(CONSOLE_PREFIX, 302));
      app.get('/console', async (_req, reply) => reply.redirect(CONSOLE_PREFIX, 301));
      if (!existsSync(join(dir, 'index.html'))) {
        app.get('/console/*', async () => {
          throw notBuilt(dir);
        });
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
    },
  };
}
