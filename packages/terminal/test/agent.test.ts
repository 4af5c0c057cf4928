/**
 * The terminal agent against a real server (the loader with the terminal channel
 * mounted) and an emulated card in process: loads relayed over the socket in the
 * protocol's 2 round trips, card events reported, a connection lost at each step
 * (no command reaches the card twice), a card pulled mid-job (INTERRUPTED, then
 * recovered by the next load), an offline terminal; enrolment: a key pair in a 0600
 * file, a code an administrator approves, a signed challenge instead of a password,
 * revocation that closes the open socket at once, all audited.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { InProcessChannel } from '@myna-ap/transport';
import {
  buildServer,
  consoleMounts,
  terminalChannelMount,
  type TerminalChannels,
} from '@myna-ap/loader';
import { T, newCard, world, type World } from '@myna-ap/loader/testing';
import type { Card } from '@myna-ap/card';
import {
  TerminalAgent,
  TerminalError,
  enrol,
  loadIdentity,
  type AgentEvent,
  type AgentIdentity,
} from '../src/index.ts';

let w: World;
let base: string;
let close: () => Promise<void>;
let identity: AgentIdentity;
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'myna-agent-'));
  dirs.push(d);
  return join(d, 'terminal');
};

/** Enrols an agent for T and has the terminal's administrator approve it. */
async function enrolled(dir = tmp()): Promise<AgentIdentity> {
  const { code } = await enrol({ server: base, terminalId: T, dir });
  const ok = await api('POST', '/terminal/approve', { code }, w.tokens.admin);
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  return loadIdentity(dir);
}

before(async () => {
  w = await world();
  // The console's mounts too (its files not built: only the hand-off is used here).
  let channels: TerminalChannels | undefined;
  const app = buildServer(w.ctx, {
    mounts: [
      ...consoleMounts(join(tmpdir(), 'myna-no-console-build'), { terminalRelay: () => channels }),
      terminalChannelMount((c) => (channels = c)),
    ],
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  close = async () => {
    await app.close();
    await w.db.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  identity = await enrolled();
});
after(() => close());

async function api(method: 'GET' | 'POST', path: string, body?: unknown, token = w.tokens.op) {
  const r = await fetch(base + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response JSON freely
  return { status: r.status, json: (await r.json()) as any };
}

/** A reader whose card counts the commands it is sent. */
function countingReader(card: Card) {
  let apdus = 0;
  const counted = {
    atr: card.atr,
    transmit: (a: Uint8Array) => {
      apdus++;
      return card.transmit(a);
    },
    reset: () => card.reset(),
    powerOff: () => card.powerOff?.(),
  };
  return { reader: new InProcessChannel(counted), apdus: () => apdus };
}

function startAgent(
  reader: InProcessChannel,
  onEvent?: (e: AgentEvent, a: TerminalAgent) => void,
  id: AgentIdentity = identity,
) {
  const events: AgentEvent[] = [];
  const agent: TerminalAgent = new TerminalAgent({
    identity: id,
    reader,
    backoff: { initialMs: 20, maxMs: 100 },
    onEvent: (e) => {
      events.push(e);
      onEvent?.(e, agent);
    },
  });
  agent.start();
  const until = async (f: (e: AgentEvent) => boolean) => {
    for (let i = 0; i < 500 && !events.some(f); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(events.some(f), `no such event in ${JSON.stringify(events)}`);
  };
  return { agent, events, until };
}

async function endOf(id: string) {
  for (;;) {
    const r = await api('GET', `/v1/jobs/${id}`);
    if (r.json.state !== 'running') return r.json;
    await new Promise((res) => setTimeout(res, 10));
  }
}

const loadC = () => ({
  op: 'load',
  terminalId: T,
  cardAps: [{ cardApId: w.aps.C }],
  consent: { method: 'counter_form' },
});

test('a load over the channel: 2 round trips, the card in the reader reported with its ATR', async () => {
  const card = await newCard();
  const { reader, apdus } = countingReader(card);
  const { agent, events, until } = startAgent(reader);
  await until((e) => e.kind === 'connected');
  for (let i = 0; i < 100; i++) {
    if ((await api('GET', `/terminal/terminals/${T}`)).json.card) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const presence = (await api('GET', `/terminal/terminals/${T}`)).json;
  assert.equal(presence.connected, true);
  assert.deepEqual(
    { present: presence.card.present, atr: presence.card.atr },
    { present: true, atr: Buffer.from(card.atr).toString('hex').toUpperCase() },
  );
  const started = await api('POST', '/terminal/jobs', loadC());
  assert.equal(started.status, 201, JSON.stringify(started.json));
  const end = await endOf(started.json.id);
  assert.equal(end.state, 'done', JSON.stringify(end.error));
  assert.equal(end.result.results[0].status, 'loaded');
  assert.equal(end.rounds, 2);
  assert.equal(apdus(), end.apdus);
  await until((e) => e.kind === 'ended');
  assert.deepEqual(
    events.filter((e) => e.kind === 'step').map((e) => (e as { seq: number }).seq),
    [1, 2],
  );
  // The card taken out: the server hears of it.
  reader.remove();
  await until((e) => e.kind === 'card' && e.event === 'removed');
  for (let i = 0; i < 100; i++) {
    if ((await api('GET', `/terminal/terminals/${T}`)).json.card?.present === false) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal((await api('GET', `/terminal/terminals/${T}`)).json.card.present, false);
  await agent.stop();
});

test('the connection lost at every step: the job resumes where it stood and no command reaches the card twice', async () => {
  const card = await newCard();
  const { reader, apdus } = countingReader(card);
  const dropped = new Set<number>();
  const { agent, events, until } = startAgent(reader, (e, a) => {
    // The first time each step comes, the connection goes before its answer can.
    if (e.kind === 'step' && !dropped.has(e.seq)) {
      dropped.add(e.seq);
      a.dropConnection();
    }
  });
  await until((e) => e.kind === 'connected');
  const started = await api('POST', '/terminal/jobs', loadC());
  assert.equal(started.status, 201);
  const end = await endOf(started.json.id);
  assert.equal(end.state, 'done', JSON.stringify(end.error));
  assert.equal(end.rounds, 2);
  assert.equal(apdus(), end.apdus, 'each command sent to the card once');
  const steps = events.filter((e) => e.kind === 'step') as Extract<AgentEvent, { kind: 'step' }>[];
  assert.deepEqual(
    steps.map((s) => [s.seq, s.replayed]),
    [
      [1, false],
      [1, true],
      [2, false],
      [2, true],
    ],
  );
  assert.ok(events.filter((e) => e.kind === 'connected').length >= 3, 'connected again each time');
  await agent.stop();
});

test('a card pulled mid-job: INTERRUPTED; the next load settles what was cut short', async () => {
  const card = await newCard();
  const reader = new InProcessChannel(card);
  const { agent, until } = startAgent(reader, (e) => {
    // Pulled as the INSTALL's script arrives: the reservation is written, the card never sees it.
    if (e.kind === 'step' && e.seq === 2) reader.remove();
  });
  await until((e) => e.kind === 'connected');
  const cut = await endOf((await api('POST', '/terminal/jobs', loadC())).json.id);
  assert.equal(cut.state, 'failed');
  assert.equal(cut.error.code, 'INTERRUPTED');
  await agent.stop();

  const again = startAgent(new InProcessChannel(card));
  await again.until((e) => e.kind === 'connected');
  const end = await endOf((await api('POST', '/terminal/jobs', loadC())).json.id);
  assert.equal(end.state, 'done', JSON.stringify(end.error));
  assert.equal(end.result.recovered.length, 1, 'the cut-short load settled first');
  assert.equal(end.result.results[0].status, 'loaded');
  await again.agent.stop();
});

test('a card job the console hands to the terminal goes over its agent’s socket at once', async () => {
  const card = await newCard();
  const { reader, apdus } = countingReader(card);
  const { agent, until } = startAgent(reader);
  await until((e) => e.kind === 'connected');
  // As the console does: start the job, then hand it to the counter's terminal.
  const started = await api('POST', '/v1/jobs', loadC());
  assert.equal(started.status, 201, JSON.stringify(started.json));
  const handed = await api('POST', `/v1/terminals/${T}/handoff`, { jobId: started.json.id });
  assert.equal(handed.status, 202, JSON.stringify(handed.json));
  assert.deepEqual(handed.json, { jobId: started.json.id, waiting: 0, via: 'channel' });
  const end = await endOf(started.json.id);
  assert.equal(end.state, 'done', JSON.stringify(end.error));
  assert.equal(end.result.results[0].status, 'loaded');
  assert.equal(end.rounds, 2);
  assert.equal(apdus(), end.apdus);
  // Nothing was left queued for an HTTP relay.
  assert.deepEqual((await api('GET', `/v1/terminals/${T}/handoff`)).json, { jobIds: [] });
  await agent.stop();

  // No agent connected: the job queues for an HTTP relay, as before the channel.
  for (let i = 0; i < 100; i++) {
    if (!(await api('GET', `/terminal/terminals/${T}`)).json.connected) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const later = await api('POST', '/v1/jobs', loadC());
  const queued = await api('POST', `/v1/terminals/${T}/handoff`, { jobId: later.json.id });
  assert.deepEqual(queued.json, { jobId: later.json.id, waiting: 1, via: 'relay' });
  assert.deepEqual((await api('GET', `/v1/terminals/${T}/handoff`)).json, {
    jobIds: [later.json.id],
  });
  await api('POST', `/v1/jobs/${later.json.id}/cancel`);
});

test('no agent connected: TERMINAL_OFFLINE', async () => {
  // The last test's agent has stopped; the server hears its socket close.
  for (let i = 0; i < 200; i++) {
    if (!(await api('GET', `/terminal/terminals/${T}`)).json.connected) break;
    await new Promise((res) => setTimeout(res, 10));
  }
  const r = await api('POST', '/terminal/jobs', loadC());
  assert.equal(r.status, 409);
  assert.equal(r.json.code, 'TERMINAL_OFFLINE');
});

test('enrolment: a 0600 key, a code approved by an administrator, the channel opened by a signature', async () => {
  const dir = tmp();
  const { code, agentId } = await enrol({ server: base, terminalId: T, dir });
  assert.match(code, /^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
  if (process.platform !== 'win32') {
    assert.equal(statSync(join(dir, 'agent.key')).mode & 0o777, 0o600);
  }
  await assert.rejects(enrol({ server: base, terminalId: T, dir }), { code: 'IDENTITY_EXISTS' });
  const id = await loadIdentity(dir);
  // Before approval the server keeps it waiting; the agent tries again.
  const { agent, events, until } = startAgent(new InProcessChannel(await newCard()), undefined, id);
  await until((e) => e.kind === 'pending');
  assert.ok(!events.some((e) => e.kind === 'connected'));
  // An operator who is no administrator cannot approve; the code works once.
  const denied = await api('POST', '/terminal/approve', { code: code.toLowerCase() }, w.tokens.op);
  assert.equal(denied.status, 404);
  const ok = await api('POST', '/terminal/approve', { code: code.toLowerCase() }, w.tokens.admin);
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.equal(ok.json.agentId, agentId);
  assert.equal((await api('POST', '/terminal/approve', { code }, w.tokens.admin)).status, 404);
  await until((e) => e.kind === 'connected');

  // Revoked: the open socket is closed at once and the agent stops for good.
  const rev = await api('POST', `/terminal/agents/${agentId}/revoke`, {}, w.tokens.admin);
  assert.equal(rev.status, 200, JSON.stringify(rev.json));
  await until((e) => e.kind === 'stopped');
  assert.deepEqual(events.at(-1), { kind: 'stopped', why: 'revoked' });
  assert.equal((await api('GET', `/terminal/terminals/${T}`)).json.connected, false);
  // Its key opens nothing any more.
  const again = startAgent(new InProcessChannel(await newCard()), undefined, id);
  await again.until((e) => e.kind === 'stopped');
  assert.deepEqual(again.events.at(-1), { kind: 'stopped', why: 'revoked' });
  await agent.stop();

  const audit = await w.db.query<{ action: string }>(
    'SELECT action FROM audit_log WHERE target = $1 ORDER BY seq',
    [agentId],
  );
  assert.deepEqual(
    audit.rows.map((r) => r.action),
    ['terminal.agent_enrolled', 'terminal.agent_approved', 'terminal.agent_revoked'],
  );
});

test('a signature by another key, an unknown terminal, a key that is no Ed25519: refused', async () => {
  const other = generateKeyPairSync('ed25519').privateKey;
  const forged = startAgent(new InProcessChannel(await newCard()), undefined, {
    ...identity,
    privateKey: other,
  });
  await forged.until((e) => e.kind === 'stopped');
  assert.deepEqual(forged.events.at(-1), { kind: 'stopped', why: 'revoked' });
  await assert.rejects(
    enrol({ server: base, terminalId: 'no-such-terminal', dir: tmp() }),
    (e: unknown) =>
      e instanceof TerminalError && e.code === 'ENROL_REFUSED' && /not found/.test(e.text.en),
  );
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
    format: 'der',
    type: 'spki',
  });
  const r = await fetch(`${base}/terminal/enrol`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ terminalId: T, publicKey: rsa.toString('hex') }),
  });
  assert.equal(r.status, 400);
  assert.equal(((await r.json()) as { code: string }).code, 'TERMINAL_AGENT_KEY_INVALID');
});
