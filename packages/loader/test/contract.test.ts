/**
 * The API contract: importable alone, its facts equal to the card layer's, its
 * operations the server's routes, its failure codes the catalogue; the client
 * refuses an answer outside it; the catalogue is the one place for a code's status.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEY_PACKAGE_FORMAT, USER_ID_LENGTH } from '@myna-ap/apdu';
import {
  API,
  KEY_PACKAGE_FORMAT_TAG,
  LOADER_ERRORS,
  USER_ID_BYTES,
  errorSchema,
} from '../src/contract/index.ts';
import { routes } from '../src/http/routes.ts';
import { ApiClient } from '../src/client.ts';
import { LoaderError } from '../src/errors.ts';

test('the contract imports only zod, @myna-ap/text and itself', () => {
  const dir = new URL('../src/contract/', import.meta.url).pathname;
  for (const f of readdirSync(dir)) {
    const src = readFileSync(join(dir, f), 'utf8');
    for (const m of src.matchAll(/from '([^']+)'/g))
      assert.ok(
        ['zod', '@myna-ap/text'].includes(m[1]!) || m[1]!.startsWith('./'),
        `${f}: ${m[1]}`,
      );
  }
});

test('the contract’s card facts are the card layer’s', () => {
  assert.equal(USER_ID_BYTES, USER_ID_LENGTH);
  assert.equal(KEY_PACKAGE_FORMAT_TAG, KEY_PACKAGE_FORMAT);
});

test('every operation of the contract is one route of the server, and back', () => {
  const ops = Object.entries(API).map(([name, o]) => `${name} ${o.method} ${o.path}`);
  const served = routes.map((r) => `${r.name} ${r.method} ${r.path}`);
  assert.deepEqual([...served].sort(), [...ops].sort());
});

test('failure codes: the error schema takes the catalogue’s codes only', () => {
  const message = { en: 'x', ja: 'x' };
  for (const code of Object.keys(LOADER_ERRORS))
    assert.ok(errorSchema.safeParse({ code, message }).success, code);
  assert.equal(errorSchema.safeParse({ code: 'NOT_A_CODE', message }).success, false);
});

test('LoaderError: the status is the catalogue’s; another one is a bug', () => {
  assert.equal(new LoaderError('NOT_FOUND', { en: 'x', ja: 'x' }).status, 404);
  assert.equal(new LoaderError('TOO_MANY_JOBS', { en: 'x', ja: 'x' }, 429).status, 429);
  assert.throws(
    () => new LoaderError('NOT_FOUND', { en: 'x', ja: 'x' }, 400),
    /catalogue says 404/,
  );
  // A code that never reaches HTTP keeps the old default.
  assert.equal(new LoaderError('KEYS_INVALID', { en: 'x', ja: 'x' }).status, 400);
});

test('the client refuses an answer outside the contract, and reads refusals', async () => {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/healthz') res.end(JSON.stringify({ status: 'fine', db: 1 }));
    else if (req.url === '/v1/me') {
      res.statusCode = 401;
      res.end(
        JSON.stringify({ code: 'UNAUTHENTICATED', message: { en: 'log in', ja: 'ログイン' } }),
      );
    } else {
      res.statusCode = 502;
      res.end('<html>bad gateway</html>');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  try {
    const c = new ApiClient(`http://127.0.0.1:${port}`, 'tk_x');
    await assert.rejects(c.call('health'), { code: 'RESPONSE_INVALID', status: 0 });
    await assert.rejects(c.call('me'), {
      code: 'UNAUTHENTICATED',
      status: 401,
      text: { en: 'log in', ja: 'ログイン' },
    });
    await assert.rejects(c.call('listProviders'), { code: 'HTTP_502', status: 502 });
  } finally {
    server.close();
  }
});
