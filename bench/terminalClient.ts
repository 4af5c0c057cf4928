/**
 * The terminals of bench/terminal.bench.ts, in a process of their own (forked with
 * an IPC channel): per terminal, either a terminal agent on the channel (a job
 * started with POST /terminal/jobs, its end heard on the socket) or the HTTP relay
 * (`relayJob`), a fresh emulated card per load.
 *
 *   parent → { type: 'run', mode, url, terminals, items, perTerminal, warmup }
 *   child  → { type: 'start' }, then { type: 'done', wallMs, latencies, rounds, apdus, failures }
 */
import { createPrivateKey } from 'node:crypto';
import type { Card } from '@myna-ap/card';
import { InProcessChannel } from '@myna-ap/transport';
import { ApiClient, relayJob } from '@myna-ap/loader/client';
import { newCard } from '@myna-ap/loader/testing';
import { TerminalAgent } from '@myna-ap/terminal';

export interface BenchItem {
  readonly cardApId: string;
  readonly area?: 'local' | 'extended';
  readonly pin?: string;
}

export interface TerminalRunMessage {
  readonly type: 'run';
  readonly mode: 'channel' | 'http';
  readonly url: string;
  readonly terminals: readonly {
    readonly id: string;
    readonly token: string;
    readonly agentId: string;
    readonly keyPem: string;
  }[];
  /** Each load loads one of these, in turn. */
  readonly items: readonly BenchItem[];
  readonly perTerminal: number;
  readonly warmup: number;
}

export interface TerminalDoneMessage {
  readonly type: 'done';
  readonly wallMs: number;
  readonly latencies: number[];
  /** Card round trips of each load after its job started (scripts, or exchanges). */
  readonly rounds: number[];
  readonly apdus: number[];
  readonly failures: string[];
}

type One = { ms: number; rounds: number; apdus: number; failure?: string };

function failureOf(j: {
  state: string;
  error?: { code: string };
  result?: unknown;
}): string | undefined {
  const r = (j.result as { results?: { status: string; error?: { code: string } }[] } | undefined)
    ?.results?.[0];
  if (j.state !== 'done') return j.error?.code ?? j.state;
  return r?.status !== 'loaded' ? (r?.error?.code ?? 'not loaded') : undefined;
}

const body = (terminalId: string, item: BenchItem) => ({
  op: 'load' as const,
  terminalId,
  cardAps: [item],
  consent: { method: 'counter_form' as const },
});

/** One terminal: its loads, one after another. */
interface Terminal {
  load(card: Card, item: BenchItem): Promise<One>;
  stop(): Promise<void>;
}

async function httpTerminal(
  url: string,
  t: TerminalRunMessage['terminals'][number],
): Promise<Terminal> {
  const client = new ApiClient(url, t.token);
  return {
    async load(card, item) {
      let rounds = 0;
      const s = performance.now();
      const j = await relayJob(client, (b) => Promise.resolve(card.transmit(b)), body(t.id, item), {
        onStep: () => rounds++,
      });
      const failure = failureOf(j);
      return { ms: performance.now() - s, rounds, apdus: j.apdus, ...(failure ? { failure } : {}) };
    },
    stop: async () => undefined,
  };
}

async function channelTerminal(
  url: string,
  t: TerminalRunMessage['terminals'][number],
  first: Card,
): Promise<Terminal> {
  const reader = new InProcessChannel(first);
  const steps = new Map<string, number>();
  const ended = new Map<string, () => void>();
  const early = new Set<string>();
  let connected!: () => void;
  const up = new Promise<void>((r) => (connected = r));
  const agent = new TerminalAgent({
    identity: {
      server: url,
      terminalId: t.id,
      agentId: t.agentId,
      privateKey: createPrivateKey(t.keyPem),
    },
    reader,
    onEvent: (e) => {
      if (e.kind === 'connected') connected();
      if (e.kind === 'step') steps.set(e.jobId, (steps.get(e.jobId) ?? 0) + 1);
      if (e.kind === 'ended') {
        const f = ended.get(e.jobId);
        if (f) f();
        else early.add(e.jobId);
      }
    },
  });
  agent.start();
  await up;
  const auth = { authorization: `Bearer ${t.token}` };
  return {
    async load(card, item) {
      reader.insert(card);
      const s = performance.now();
      const r = await fetch(`${url}/terminal/jobs`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(body(t.id, item)),
      });
      const started = (await r.json()) as { id?: string; code?: string };
      if (!started.id)
        return {
          ms: performance.now() - s,
          rounds: 0,
          apdus: 0,
          failure: started.code ?? `HTTP ${r.status}`,
        };
      const id = started.id;
      if (!early.delete(id)) await new Promise<void>((res) => ended.set(id, res));
      const ms = performance.now() - s;
      ended.delete(id);
      // The result, read once after the clock stopped.
      const j = (await (await fetch(`${url}/v1/jobs/${id}`, { headers: auth })).json()) as {
        state: string;
        apdus: number;
        error?: { code: string };
        result?: unknown;
      };
      const rounds = steps.get(id) ?? 0;
      steps.delete(id);
      const failure = failureOf(j);
      return { ms, rounds, apdus: j.apdus, ...(failure ? { failure } : {}) };
    },
    stop: () => agent.stop(),
  };
}

async function run(m: TerminalRunMessage): Promise<TerminalDoneMessage> {
  // Cards are made before the clock starts: the card factory is not the system measured.
  const cards: Card[] = [];
  for (let i = 0; i < m.terminals.length * (m.perTerminal + m.warmup + 1); i++)
    cards.push(await newCard());
  const terminals = await Promise.all(
    m.terminals.map((t) =>
      m.mode === 'http' ? httpTerminal(m.url, t) : channelTerminal(m.url, t, cards.pop()!),
    ),
  );
  const out: TerminalDoneMessage = {
    type: 'done',
    wallMs: 0,
    latencies: [],
    rounds: [],
    apdus: [],
    failures: [],
  };
  await Promise.all(
    terminals.map(async (t) => {
      for (let i = 0; i < m.warmup; i++) await t.load(cards.pop()!, m.items[0]!);
    }),
  );
  process.send!({ type: 'start' });
  const start = performance.now();
  await Promise.all(
    terminals.map(async (t) => {
      for (let i = 0; i < m.perTerminal; i++) {
        const r = await t.load(cards.pop()!, m.items[i % m.items.length]!);
        out.latencies.push(r.ms);
        out.rounds.push(r.rounds);
        out.apdus.push(r.apdus);
        if (r.failure) out.failures.push(r.failure);
      }
    }),
  );
  const wallMs = performance.now() - start;
  await Promise.all(terminals.map((t) => t.stop()));
  return { ...out, wallMs };
}

process.on('message', (m: TerminalRunMessage) => {
  if (m.type !== 'run') return;
  run(m).then(
    (r) => {
      process.send!(r);
      process.disconnect();
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
});
