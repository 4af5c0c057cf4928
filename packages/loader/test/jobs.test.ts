/**
 * Card jobs over HTTP (POST /v1/jobs, /exchange, /cancel): a listening server, a
 * terminal played by this test relaying APDUs to an emulated card. Relayed to
 * the end; out of step, retried and foreign exchanges; a card pulled, a silent
 * terminal, a cancel, a server shutdown; garbage answers at every APDU of a load
 * (never a 5xx, nothing corrupted); refusals before any APDU; the job limit.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fromHex, toHex } from '@myna-ap/apdu';
import type { Card } from '@myna-ap/card';
import { buildServer } from '../src/http/server.ts';
import { ApiClient, relayJob, type CardTransmit, type JobReply } from '../src/clientEntry.ts';
import { CardJobs } from '../src/cardops/jobs.ts';
import { loadOnCard } from '../src/cardops/load.ts';
import { T, cardIdOf, newCard, world, type World } from './cardWorld.ts';
import { assertAgreement, assertDbInvariants, cardApsOn } from './agreement.ts';

const SOAK = process.env.MYNA_SOAK === '1';
const IDLE_MS = 400;
const MAX_PER_OPERATOR = 4;

let w: World;
let base: string;
let close: () => Promise<void>;

before(async () => {
  w = await world();
  const app = buildServer(w.ctx, {
    jobs: { idleTimeoutMs: IDLE_MS, maxPerOperator: MAX_PER_OPERATOR },
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  close = async () => {
    await app.close();
    await w.db.close();
  };
});
after(() => close());

const tx =
  (card: Card): CardTransmit =>
  async (b) =>
    card.transmit(b);

interface Reply {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read response JSON freely
  readonly json: any;
}

async function call(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  token = w.tokens.op,
): Promise<Reply> {
  const r = await fetch(base + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : undefined };
}

const loadC = () => ({
  op: 'load' as const,
  terminalId: T,
  cardAps: [{ cardApId: w.aps.C }],
  consent: { method: 'counter_form' as const },
});
const diagnoseBody = () => ({ op: 'diagnose' as const, terminalId: T });

/** What the terminal sends back for command `seq`: an answer, a failure, or nothing (silent). */
type Answer = { response: string } | { error: string } | 'silent';

/**
 * Drives a job by hand. `answer` decides per command; every reply must be < 500.
 * Ends when the job ends, or the terminal goes silent (the job is then returned as last seen).
 */
async function drive(
  body: unknown,
  answer: (seq: number, command: Uint8Array) => Answer,
): Promise<{ last: Reply; replies: Reply[] }> {
  let r = await call('POST', '/v1/jobs', body);
  const replies = [r];
  while (r.status < 300 && r.json.state === 'running') {
    const a = answer(r.json.seq, fromHex(r.json.command));
    if (a === 'silent') break;
    r = await call('POST', `/v1/jobs/${r.json.id}/exchange`, { seq: r.json.seq, ...a });
    replies.push(r);
    assert.ok(r.status < 500, `exchange answered ${r.status} ${JSON.stringify(r.json)}`);
    if (r.status >= 400) break;
  }
  return { last: r, replies };
}

/**
 * The next contact, relayed to the end by an honest terminal: a diagnose job, or
 * (lighter) a load job of the type C card AP; then card and DB must agree.
 */
async function settleAndCheck(card: Card, what: string, via: 'diagnose' | 'load' = 'diagnose') {
  const body = via === 'diagnose' ? diagnoseBody() : loadC();
  const d = await relayJob(new ApiClient(base, w.tokens.op), tx(card), body);
  assert.equal(d.state, 'done', `${what}: ${via} ${JSON.stringify(d.error)}`);
  await assertAgreement(w.db, w.ctx.keys, card, what, { readBack: true });
}

async function waitFor(id: string, state: string): Promise<Reply> {
  for (;;) {
    const r = await call('GET', `/v1/jobs/${id}`);
    if (r.json.state === state) return r;
    await new Promise((res) => setTimeout(res, 20));
  }
}

test('a load relayed to the end: done, with the result of the card operation', async () => {
  const card = await newCard();
  const steps: JobReply[] = [];
  const j = await relayJob(new ApiClient(base, w.tokens.op), tx(card), loadC(), {
    onStep: (s) => steps.push(s),
  });
  assert.equal(j.state, 'done');
  const result = j.result as { cardId: string; results: { status: string; userId: string }[] };
  assert.equal(result.cardId, cardIdOf(card));
  assert.equal(result.results[0]?.status, 'loaded');
  assert.equal(cardApsOn(card)[0]?.ap.userId.toUpperCase(), result.results[0]?.userId);
  assert.equal(j.apdus, 9, 'a type C load is 9 APDUs');
  assert.deepEqual(
    steps.map((s) => s.seq),
    [2, 2],
    'in two scripts: up to INITIALIZE UPDATE (the expiry read among them), then EXTERNAL AUTHENTICATE with the INSTALL',
  );
  assert.equal(j.rounds, 2);
  await assertAgreement(w.db, w.ctx.keys, card, 'relayed', { readBack: true });
  // The finished job can still be read; its result does not change.
  const again = await call('GET', `/v1/jobs/${j.id}`);
  assert.equal(again.json.state, 'done');
  assert.deepEqual(again.json.result, j.result);
});

test('out of step, a retried answer, another operator’s job', async () => {
  const card = await newCard();
  const start = await call('POST', '/v1/jobs', loadC());
  assert.equal(start.status, 201);
  assert.equal(start.json.seq, 1);
  const id = start.json.id as string;
  const path = `/v1/jobs/${id}/exchange`;
  const answer1 = toHex(card.transmit(fromHex(start.json.command))).toUpperCase();
  // The answer to a command not yet sent, or long past: refused, nothing moves.
  const ahead = await call('POST', path, { seq: 2, response: answer1 });
  assert.equal(ahead.status, 409);
  assert.equal(ahead.json.code, 'JOB_OUT_OF_STEP');
  assert.equal(ahead.json.detail.seq, 1);
  // Someone else's job does not exist for you (nor for your own administrator).
  for (const token of [w.tokens.admin, w.tokens.platform]) {
    assert.equal((await call('GET', `/v1/jobs/${id}`, undefined, token)).status, 404);
    const foreign = await call('POST', path, { seq: 1, response: answer1 }, token);
    assert.equal(foreign.status, 404);
    assert.equal(foreign.json.code, 'JOB_NOT_FOUND');
    assert.equal((await call('POST', `/v1/jobs/${id}/cancel`, {}, token)).status, 404);
  }
  // The same answer twice (a terminal retrying after a lost reply): the same reply.
  const r1 = await call('POST', path, { seq: 1, response: answer1 });
  const r2 = await call('POST', path, { seq: 1, response: answer1 });
  assert.equal(r1.status, 200);
  assert.deepEqual(r2, r1);
  // Another answer to the same command is not a retry.
  const other = await call('POST', path, { seq: 1, response: '6A82' });
  assert.equal(other.json.code, 'JOB_OUT_OF_STEP');
  // Both copies of an answer at once, while the server is busy with the database
  // (the answer to the PIN check is followed by consent + reserve before the next APDU).
  let r = r1;
  while (r.json.seq < 4) {
    const a = toHex(card.transmit(fromHex(r.json.command))).toUpperCase();
    r = await call('POST', path, { seq: r.json.seq, response: a });
  }
  const a4 = toHex(card.transmit(fromHex(r.json.command))).toUpperCase();
  const [x, y] = await Promise.all([
    call('POST', path, { seq: 4, response: a4 }),
    call('POST', path, { seq: 4, response: a4 }),
  ]);
  assert.equal(x.status, 200, JSON.stringify(x.json));
  assert.deepEqual(y, x, 'a retry that overtakes the work gets the same reply');
  // Finish it honestly.
  r = x;
  let lastAnswer = { seq: 0, response: '' };
  while (r.json.state === 'running') {
    lastAnswer = {
      seq: r.json.seq,
      response: toHex(card.transmit(fromHex(r.json.command))).toUpperCase(),
    };
    r = await call('POST', path, lastAnswer);
  }
  assert.equal(r.json.state, 'done', JSON.stringify(r.json));
  // A retry of the last answer after the end: the same end; any other answer: finished.
  assert.deepEqual(await call('POST', path, lastAnswer), r);
  const late = await call('POST', path, { seq: 1, response: answer1 });
  assert.equal(late.status, 409);
  assert.equal(late.json.code, 'JOB_FINISHED');
  await assertAgreement(w.db, w.ctx.keys, card, 'retried', { readBack: true });
});

test('the card pulled (CARD_REMOVED) before and after the INSTALL: interrupted; the next job settles it', async () => {
  for (const after of [false, true]) {
    const card = await newCard();
    const { last } = await drive(loadC(), (seq, cmd) => {
      if (seq < 9) return { response: toHex(card.transmit(cmd)) };
      // APDU 9 is the INSTALL: lost on the way, or done by the card and its answer lost.
      if (after) card.transmit(cmd);
      return { error: 'CARD_REMOVED' };
    });
    assert.equal(last.json.state, 'failed');
    assert.equal(last.json.error.code, 'INTERRUPTED');
    assert.equal(last.json.error.detail.cause, 'CARD_REMOVED');
    const rows = await w.db.query<{ state: string }>(
      'SELECT state FROM card_ap_instances WHERE card_id = $1',
      [cardIdOf(card)],
    );
    assert.deepEqual(
      rows.rows.map((x) => x.state),
      ['pending'],
    );
    // The failure is in the audit log, with its cause and how far the card got.
    const failed = await w.db.query<{ detail: { code: string; apdus: number } }>(
      "SELECT detail FROM audit_log WHERE action = 'load.failed' ORDER BY seq DESC LIMIT 1",
    );
    assert.deepEqual(failed.rows[0]?.detail.code, 'CARD_REMOVED');
    assert.equal(failed.rows[0]?.detail.apdus, 9);
    // The next job on that card: a load of the same card AP settles it first.
    const again = await relayJob(new ApiClient(base, w.tokens.op), tx(card), loadC());
    assert.equal(again.state, 'done');
    const out = again.result as {
      recovered: { to: string }[];
      results: { status: string; error?: { code: string } }[];
    };
    assert.deepEqual(
      out.recovered.map((x) => x.to),
      [after ? 'loaded' : 'failed'],
    );
    assert.equal(
      out.results[0]?.status === 'loaded' ? 'loaded' : out.results[0]?.error?.code,
      after ? 'ALREADY_LOADED' : 'loaded',
    );
    await assertAgreement(w.db, w.ctx.keys, card, `pulled ${after ? 'after' : 'before'}`, {
      readBack: true,
    });
  }
});

test('a silent terminal: the job ends INTERRUPTED; the next contact settles the pending load', async () => {
  const card = await newCard();
  const { last } = await drive(loadC(), (seq, cmd) =>
    seq < 9 ? { response: toHex(card.transmit(cmd)) } : 'silent',
  );
  assert.equal(last.json.seq, 9);
  const done = await waitFor(last.json.id, 'failed');
  assert.equal(done.json.error.code, 'INTERRUPTED');
  // A late answer is refused: the job has ended.
  const late = await call('POST', `/v1/jobs/${last.json.id}/exchange`, {
    seq: 9,
    response: '9000',
  });
  assert.equal(late.status, 409);
  assert.equal(late.json.code, 'JOB_FINISHED');
  await settleAndCheck(card, 'silent');
});

test('cancel: the job ends as if the card were pulled; nothing is lost', async () => {
  const card = await newCard();
  const { last } = await drive(loadC(), (seq, cmd) =>
    seq < 8 ? { response: toHex(card.transmit(cmd)) } : 'silent',
  );
  const c = await call('POST', `/v1/jobs/${last.json.id}/cancel`, {});
  assert.equal(c.status, 200);
  assert.equal(c.json.state, 'failed');
  assert.equal(c.json.error.code, 'INTERRUPTED');
  // Cancelling again is harmless; answering is refused.
  assert.equal((await call('POST', `/v1/jobs/${last.json.id}/cancel`, {})).json.state, 'failed');
  const late = await call('POST', `/v1/jobs/${last.json.id}/exchange`, {
    seq: 8,
    response: '9000',
  });
  assert.equal(late.json.code, 'JOB_FINISHED');
  await settleAndCheck(card, 'cancelled');
});

test('refused before any APDU: a plain 4xx, no job left running', async () => {
  // More refusals than the per-operator limit: none of them holds a job slot.
  for (let i = 0; i < MAX_PER_OPERATOR + 1; i++) {
    const wrong = await call('POST', '/v1/jobs', { ...loadC(), terminalId: 'elsewhere' });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.json.code, 'FORBIDDEN');
    const unknown = await call('POST', '/v1/jobs', {
      ...loadC(),
      cardAps: [{ cardApId: 'ap_' + '0'.repeat(24) }],
    });
    assert.equal(unknown.status, 404);
    const bad = await call('POST', '/v1/jobs', { op: 'load', terminalId: T });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.code, 'VALIDATION');
  }
  // Before opening time (the operator's session, made at 10:00, is still valid).
  w.setNow(new Date('2026-06-01T07:00:00+09:00'));
  try {
    for (let i = 0; i < MAX_PER_OPERATOR + 1; i++) {
      const late = await call('POST', '/v1/jobs', loadC());
      assert.equal(late.status, 409, JSON.stringify(late.json));
      assert.equal(late.json.code, 'OUTSIDE_SERVICE_HOURS');
    }
  } finally {
    w.setNow(new Date('2026-06-01T10:00:00+09:00'));
  }
  const card = await newCard();
  const ok = await relayJob(new ApiClient(base, w.tokens.op), tx(card), loadC());
  assert.equal(ok.state, 'done', 'the slots are all free');
});

test('too many jobs: 429 TOO_MANY_JOBS; a slot frees when a job ends', async () => {
  const started: string[] = [];
  for (let i = 0; i < MAX_PER_OPERATOR; i++) {
    const r = await call('POST', '/v1/jobs', diagnoseBody());
    assert.equal(r.status, 201);
    started.push(r.json.id);
  }
  const over = await call('POST', '/v1/jobs', diagnoseBody());
  assert.equal(over.status, 429);
  assert.equal(over.json.code, 'TOO_MANY_JOBS');
  // Another operator has slots of their own.
  const admin = await call('POST', '/v1/jobs', diagnoseBody(), w.tokens.admin);
  assert.equal(admin.status, 201);
  await call('POST', `/v1/jobs/${admin.json.id}/cancel`, {}, w.tokens.admin);
  await call('POST', `/v1/jobs/${started[0]}/cancel`, {});
  const now = await call('POST', '/v1/jobs', diagnoseBody());
  assert.equal(now.status, 201);
  for (const id of [...started.slice(1), now.json.id])
    await call('POST', `/v1/jobs/${id}/cancel`, {});
});

/** Garbage instead of the card's answer to command k. */
/** `swap`: from command k on, the terminal relays to another card (cards swapped in the reader). */
type Garbage = 'short' | 'random' | 'bare_sw' | 'bad_mac' | 'swap';

function garbage(kind: Garbage, real: Uint8Array, other: Card, cmd: Uint8Array): string {
  switch (kind) {
    case 'short':
      return '90';
    case 'random':
      return toHex(randomBytes(1 + (real.length % 40)));
    case 'bare_sw':
      // A success status word with nothing else: inside the channel, no R-MAC.
      return '9000';
    case 'bad_mac': {
      const b = Uint8Array.from(real);
      if (b.length >= 3) b[b.length - 3]! ^= 0x01; // the last byte before SW1 SW2
      return toHex(b);
    }
    case 'swap':
      return toHex(other.transmit(cmd));
  }
}

test('garbage answers at every APDU of a load: never a 5xx, a clear end, nothing corrupted', async () => {
  const endings = new Map<string, number>();
  let n = 0;
  const all: Garbage[] = ['random', 'bare_sw', 'bad_mac', 'swap'];
  for (let k = 1; k <= 9; k++) {
    for (const cardActs of [false, true]) {
      // Each kind in turn, so that each meets both variants (every kind everywhere: MYNA_SOAK=1).
      const kinds = SOAK ? [...all] : [all[(k + (cardActs ? 2 : 0)) % all.length]!];
      // Not hex bytes of a response is refused at the door: once at each end is enough.
      if (k === 1 || k === 9) kinds.push('short');
      for (const kind of kinds) {
        const what = `${kind} at APDU ${k}${cardActs ? ' after the card acted' : ''}`;
        const card = await newCard();
        const other = await newCard();
        const { last, replies } = await drive(loadC(), (seq, cmd) => {
          if (seq < k || (seq > k && kind !== 'swap'))
            return { response: toHex(card.transmit(cmd)) };
          const real = cardActs && seq === k ? card.transmit(cmd) : new Uint8Array([0x90, 0x00]);
          return { response: garbage(kind, real, other, cmd) };
        });
        for (const r of replies) assert.ok(r.status < 500, what);
        let job = last.json;
        if (last.status === 400) {
          // Refused at the door: the job still waits for a real answer; cancel it.
          assert.equal(last.json.code, 'VALIDATION', what);
          const id = replies[0]!.json.id as string;
          job = (await call('POST', `/v1/jobs/${id}/cancel`, {})).json;
        } else {
          assert.equal(last.status, 200, `${what}: ${JSON.stringify(last.json)}`);
        }
        // A load that ends refuses card APs one by one: count those codes too.
        const code =
          job.state === 'done'
            ? `done${(job.result.results as { error?: { code: string } }[]).map((r) => (r.error ? ` ${r.error.code}` : '')).join('')}`
            : job.error.code;
        assert.notEqual(code, 'INTERNAL', `${what}: ${JSON.stringify(job.error)}`);
        endings.set(code, (endings.get(code) ?? 0) + 1);
        await settleAndCheck(card, what, n++ % 4 === 0 ? 'diagnose' : 'load');
        if (kind === 'swap') await settleAndCheck(other, `${what} (the other card)`, 'load');
      }
    }
  }
  await assertDbInvariants(w.db, 'garbage');
  console.log(`# garbage endings: ${JSON.stringify(Object.fromEntries(endings))}`);
  // What a relay can forge inside the channel fails its R-MAC; a swapped card, the KDD check.
  assert.ok(endings.get('CARD_CHANNEL_BROKEN')! > 0);
  assert.ok(endings.get('done CARD_CHANGED')! > 0);
});

test('server shutdown: a job waiting for its terminal ends INTERRUPTED', async () => {
  // The HTTP server: close() does not wait for the silent terminal.
  const app = buildServer(w.ctx, { jobs: { idleTimeoutMs: 3_600_000 } });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const card = await newCard();
  const client = new ApiClient(url, w.tokens.op);
  let j: JobReply = await client.call('startJob', { body: loadC() });
  while (j.seq < 9) {
    const response = toHex(card.transmit(fromHex(j.command!)));
    j = await client.call('exchange', { params: { id: j.id }, body: { seq: j.seq, response } });
  }
  await app.close();
  const late = { params: { id: j.id }, body: { seq: 9, response: '9000' } };
  await assert.rejects(client.call('exchange', late), {
    code: 'SERVER_UNREACHABLE',
  });
  await settleAndCheck(card, 'server shut down');

  // The job itself, seen from CardJobs: failed, INTERRUPTED, and its operation has ended.
  const jobs = new CardJobs({ idleTimeoutMs: 3_600_000 });
  const card2 = await newCard();
  let ended: unknown;
  const v = await jobs.start(w.op.operatorId, 'load', (t) =>
    loadOnCard(w.ctx, w.op, t, {
      terminalId: T,
      items: [{ cardApId: w.aps.C }],
      consent: { method: 'counter_form' },
    }).catch((e: unknown) => {
      ended = e;
      throw e;
    }),
  );
  let view = v;
  while (view.seq < 9)
    view = await jobs.exchange(
      w.op.operatorId,
      v.id,
      view.seq,
      card2.transmit(fromHex(view.command!)),
    );
  jobs.close();
  for (;;) {
    view = jobs.get(w.op.operatorId, v.id);
    if (view.state !== 'running') break;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal(view.state, 'failed');
  assert.equal(view.error?.code, 'INTERRUPTED');
  assert.equal((ended as { code?: string }).code, 'CHANNEL_CLOSED');
  await settleAndCheck(card2, 'jobs closed');
});

test('a retried answer that arrives while the job is still busy with it gets the same reply', async () => {
  // The operation after command 1 does work of its own (the DB, in a real load) until
  // `release`: a terminal that timed out and retried meanwhile must not be refused.
  const jobs = new CardJobs({ idleTimeoutMs: 3_600_000 });
  let release!: () => void;
  const busy = new Promise<void>((r) => (release = r));
  const v = await jobs.start(w.op.operatorId, 'diagnose', async ({ transmit: t }) => {
    const a = await t(fromHex('00A4040C0AD3921000310001010100'));
    await busy;
    const b = await t(fromHex('00B0810010'));
    return { a: toHex(a), b: toHex(b) };
  });
  const answer = fromHex('9000');
  const first = jobs.exchange(w.op.operatorId, v.id, 1, answer);
  const retry = jobs.exchange(w.op.operatorId, v.id, 1, answer);
  release();
  const [x, y] = await Promise.all([first, retry]);
  assert.equal(x.seq, 2);
  assert.deepEqual(y, x);
  // Another answer to command 1 is still out of step.
  await assert.rejects(jobs.exchange(w.op.operatorId, v.id, 1, fromHex('6A82')), {
    code: 'JOB_OUT_OF_STEP',
  });
  const end = await jobs.exchange(w.op.operatorId, v.id, 2, fromHex('0102039000'));
  assert.equal(end.state, 'done');
  assert.deepEqual(end.result, { a: '9000', b: '0102039000' });
  jobs.close();
});
