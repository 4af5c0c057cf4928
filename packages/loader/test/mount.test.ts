/**
 * The server's seams, each with a real plugin: a route group, the console's static
 * files (@fastify/static under /console/) and a WebSocket endpoint (the terminal
 * channel), mounted beside the loader's routes — authenticated by default, public
 * when a route says so, encapsulated (a plugin's hooks stay in the plugin).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import WebSocket from 'ws';
import { buildServer } from '../src/http/server.ts';
import type { Mount } from '../src/http/mount.ts';
import { bootstrapPlatformAdmin } from '../src/store/operators.ts';
import { TEST_CONFIG } from '../src/store/config.ts';
import { MemoryKeyStore } from '../src/keys/keyStore.ts';
import { freshPglite } from '@myna-ap/db/testing';
import { loaderMigrations } from '../src/migrations.ts';
import { ADMIN_PW } from './helpers.ts';

const routeGroup: Mount = {
  name: 'ext',
  prefix: '/ext',
  async plugin(app, mount) {
    // Encapsulated: this header is on the plugin's answers only.
    app.addHook('onSend', async (_req, reply) => {
      void reply.header('x-ext', 'yes');
    });
    app.get('/whoami', async (req) => ({ login: mount.operatorOf(req).login }));
    app.get('/open', { config: { public: true } }, async () => ({ open: true }));
    app.get('/db', async () => {
      const r = await mount.loader.db.query<{ n: number }>('SELECT 1 AS n');
      return { n: Number(r.rows[0]?.n) };
    });
  },
};

function staticFiles(root: string): Mount {
  return {
    name: 'console',
    prefix: '/console',
    // The console's built assets: anyone may fetch them (the login page is one).
    public: true,
    async plugin(app) {
      await app.register(fastifyStatic, { root, prefix: '/' });
    },
  };
}

const channel: Mount = {
  name: 'terminal',
  prefix: '/terminal',
  async plugin(app, mount) {
    // Not public: the upgrade request carries the operator's token like any call.
    app.get('/channel', { websocket: true }, (socket, req) => {
      const who = mount.operatorOf(req).login;
      socket.on('message', (m) => socket.send(`${who}: ${String(m)}`));
    });
  },
};

async function world() {
  const dir = mkdtempSync(join(tmpdir(), 'myna-mount-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(dir, 'app.js'), 'console.log(1);');
  const db = await freshPglite([loaderMigrations]);
  const ctx = { db, config: TEST_CONFIG, keys: new MemoryKeyStore('test'), now: () => new Date() };
  await bootstrapPlatformAdmin(ctx, ADMIN_PW);
  const app = buildServer(ctx, { mounts: [routeGroup, staticFiles(dir), channel] });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const login = await fetch(`${url}/v1/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: 'admin', password: ADMIN_PW }),
  });
  const { token } = (await login.json()) as { token: string };
  return {
    url,
    token,
    async close() {
      await app.close();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('a mounted route group: authenticated by default, public on request, encapsulated', async () => {
  const w = await world();
  try {
    const anon = await fetch(`${w.url}/ext/whoami`);
    assert.equal(anon.status, 401);
    assert.equal(((await anon.json()) as { code: string }).code, 'UNAUTHENTICATED');
    const me = await fetch(`${w.url}/ext/whoami`, {
      headers: { authorization: `Bearer ${w.token}` },
    });
    assert.equal(me.status, 200);
    assert.deepEqual(await me.json(), { login: 'admin' });
    assert.equal(me.headers.get('x-ext'), 'yes');
    const open = await fetch(`${w.url}/ext/open`);
    assert.deepEqual(await open.json(), { open: true });
    const db = await fetch(`${w.url}/ext/db`, { headers: { authorization: `Bearer ${w.token}` } });
    assert.deepEqual(await db.json(), { n: 1 });
    // The loader's own routes do not see the plugin's hook.
    const health = await fetch(`${w.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(health.headers.get('x-ext'), null);
    // An unknown URL under the prefix is the loader's 404, not a 401.
    const none = await fetch(`${w.url}/ext/nothing`);
    assert.equal(none.status, 404);
    assert.equal(((await none.json()) as { code: string }).code, 'ROUTE_NOT_FOUND');
  } finally {
    await w.close();
  }
});

test('static files under /console/: served without a token', async () => {
  const w = await world();
  try {
    const index = await fetch(`${w.url}/console/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await index.text(), /<title>console<\/title>/);
    const js = await fetch(`${w.url}/console/app.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    const missing = await fetch(`${w.url}/console/nope.js`);
    assert.equal(missing.status, 404);
  } finally {
    await w.close();
  }
});

function open(url: string, headers: Record<string, string>) {
  const ws = new WebSocket(url, { headers });
  return new Promise<WebSocket>((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

test('a WebSocket endpoint: the upgrade needs the operator token; then messages flow', async () => {
  const w = await world();
  try {
    const wsUrl = `${w.url.replace(/^http/, 'ws')}/terminal/channel`;
    await assert.rejects(open(wsUrl, {}), /HTTP 401/);
    const ws = await open(wsUrl, { authorization: `Bearer ${w.token}` });
    const reply = new Promise<string>((resolve) => ws.once('message', (m) => resolve(String(m))));
    ws.send('card inserted');
    assert.equal(await reply, 'admin: card inserted');
    ws.close();
  } finally {
    await w.close();
  }
});
