/**
 * `myna terminal enrol | approve | run | revoke` end to end: a real server with the
 * terminal channel; the terminal enrols (a code), the demo's administrator approves
 * it, `run --card FILE` opens the channel with its key, relays a load started for
 * the terminal, writes the card file back and stops on SIGTERM; revoked, it cannot
 * connect again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveCardFile } from '@myna-ap/card';
import {
  TEST_CONFIG,
  saveCredentials,
  seedDemo,
  startServer,
  terminalChannelMount,
} from '@myna-ap/loader';
import { newCard } from '@myna-ap/loader/testing';
import { myna } from './cliRun.ts';

test('CLI: terminal run relays a load over the channel and saves the card file', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'myna-terminal-'));
  const s = await startServer({
    port: 0,
    dataDir: join(home, 'db'),
    config: TEST_CONFIG,
    adminPassword: 'platform admin password',
    mounts: [terminalChannelMount()],
  });
  t.after(async () => {
    await s.close();
    rmSync(home, { recursive: true, force: true });
  });
  const info = await seedDemo(s.ctx, join(home, 'demo.json'));
  const token = info.login.token;
  await saveCredentials(
    { server: s.url, token, login: info.operator, expiresAt: info.login.expiresAt },
    { MYNA_HOME: home },
  );
  const env = { MYNA_HOME: home, MYNA_LANG: 'en', MYNA_TOKEN: undefined, MYNA_SERVER: undefined };
  const file = join(home, 'card.json');
  await saveCardFile(file, await newCard());
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(s.url + path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response JSON freely
    return (await r.json()) as any;
  };

  const enrolled = await myna(
    ['terminal', 'enrol', '--server', s.url, '--terminal', info.terminalId],
    env,
  );
  assert.equal(enrolled.code, 0, enrolled.err);
  const code = /approval code: (\S+)/.exec(enrolled.out)?.[1];
  const agentId = /agent (ta_[0-9a-f]{24})/.exec(enrolled.out)?.[1];
  assert.ok(code && agentId, enrolled.out);
  const approved = await myna(['terminal', 'approve', code], env);
  assert.equal(approved.code, 0, approved.err);
  assert.match(approved.out, new RegExp(`approved: agent ${agentId}`));
  assert.equal((await myna(['terminal', 'approve', code], env)).code, 1, 'a code works once');

  const running = myna(['terminal', 'run', '--card', file], env);
  for (let i = 0; i < 500; i++) {
    if ((await call('GET', `/terminal/terminals/${info.terminalId}`)).card) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const job = await call('POST', '/terminal/jobs', {
    op: 'load',
    terminalId: info.terminalId,
    cardAps: [{ cardApId: info.cardApId }],
    consent: { method: 'counter_form' },
  });
  assert.ok(job.id, JSON.stringify(job));
  let end;
  for (;;) {
    end = await call('GET', `/v1/jobs/${job.id}`);
    if (end.state !== 'running') break;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(end.state, 'done', JSON.stringify(end.error));
  assert.equal(end.rounds, 2);
  // Let the agent hear the end (and save the card) before it is stopped.
  await new Promise((r) => setTimeout(r, 100));
  process.emit('SIGTERM');
  const r = await running;
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /connected to the server/);
  assert.match(r.out, /card inserted \(ATR [0-9A-F]+\)/);
  assert.match(r.out, new RegExp(`job ${job.id}: done`));

  const read = await myna(['read', '--card', file, '--aid', info.aid], env);
  assert.equal(read.code, 0, read.err);
  assert.match(read.out, new RegExp(`user ID: ${end.result.results[0].userId}`));
  assert.equal((await myna(['terminal', 'run'], env)).code, 2, 'no card, no reader');
  const revoked = await myna(['terminal', 'revoke', agentId], env);
  assert.equal(revoked.code, 0, revoked.err);
  const after = await myna(['terminal', 'run', '--card', file], env);
  assert.equal(after.code, 1);
  assert.match(after.err, /cut off by the server/);
});
