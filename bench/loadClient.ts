/**
 * The terminals of bench/load.bench.ts's HTTP path, in a process of their own
 * (forked with an IPC channel), so the server's event loop does not also run the
 * clients and the emulated cards. Each terminal is its own ApiClient that relays
 * the job's APDUs to a fresh emulated card, card after card.
 *
 *   parent → { type: 'run', url, terminals: [{ id, token }], cardApId, perTerminal, warmup }
 *   child  → { type: 'start' } when the timed loads begin (cards made, warm-up done),
 *            { type: 'done', wallMs, latencies, apdus, roundTrips, failures } when they end
 */
import type { Card } from '@myna-ap/card';
import { ApiClient, relayJob } from '@myna-ap/loader/client';
import { newCard } from '@myna-ap/loader/testing';

export interface RunMessage {
  readonly type: 'run';
  readonly url: string;
  readonly terminals: readonly { readonly id: string; readonly token: string }[];
  readonly cardApId: string;
  readonly perTerminal: number;
  readonly warmup: number;
}

export interface DoneMessage {
  readonly type: 'done';
  readonly wallMs: number;
  readonly latencies: number[];
  readonly apdus: number[];
  readonly roundTrips: number[];
  readonly failures: string[];
}

async function loadOne(
  client: ApiClient,
  card: Card,
  terminalId: string,
  cardApId: string,
): Promise<{ ms: number; apdus: number; roundTrips: number; failure?: string }> {
  let roundTrips = 1; // POST /v1/jobs
  const s = performance.now();
  const j = await relayJob(
    client,
    (b) => Promise.resolve(card.transmit(b)),
    {
      op: 'load',
      terminalId,
      cardAps: [{ cardApId }],
      consent: { method: 'counter_form' },
    },
    { onStep: () => roundTrips++ },
  );
  const ms = performance.now() - s;
  const r = (j.result as { results?: { status: string; error?: { code: string } }[] } | undefined)
    ?.results?.[0];
  const failure =
    j.state !== 'done'
      ? (j.error?.code ?? j.state)
      : r?.status !== 'loaded'
        ? (r?.error?.code ?? 'not loaded')
        : undefined;
  return { ms, apdus: j.apdus, roundTrips, ...(failure ? { failure } : {}) };
}

async function run(m: RunMessage): Promise<DoneMessage> {
  // Cards are made before the clock starts: the card factory is not the system measured.
  const cards: Card[] = [];
  for (let i = 0; i < m.terminals.length * (m.perTerminal + m.warmup); i++)
    cards.push(await newCard());
  const clients = m.terminals.map((t) => ({ id: t.id, client: new ApiClient(m.url, t.token) }));
  const out: DoneMessage = {
    type: 'done',
    wallMs: 0,
    latencies: [],
    apdus: [],
    roundTrips: [],
    failures: [],
  };
  await Promise.all(
    clients.map(async (c) => {
      for (let i = 0; i < m.warmup; i++) await loadOne(c.client, cards.pop()!, c.id, m.cardApId);
    }),
  );
  process.send!({ type: 'start' });
  const start = performance.now();
  await Promise.all(
    clients.map(async (c) => {
      for (let i = 0; i < m.perTerminal; i++) {
        const r = await loadOne(c.client, cards.pop()!, c.id, m.cardApId);
        out.latencies.push(r.ms);
        out.apdus.push(r.apdus);
        out.roundTrips.push(r.roundTrips);
        if (r.failure) out.failures.push(r.failure);
      }
    }),
  );
  return { ...out, wallMs: performance.now() - start };
}

process.on('message', (m: RunMessage) => {
  if (m.type !== 'run') return;
  run(m).then(
    (d) => process.send!(d),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
});
process.on('disconnect', () => process.exit(0));
