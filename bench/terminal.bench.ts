/**
 * The terminal channel (issue 10): card AP loads per second and p50/p99 with 1 and
 * 32 terminals over the WebSocket channel (enrolled terminal agents, one socket
 * each) side by side with today's HTTP relay (`POST /v1/jobs/:id/exchange`) in the
 * same run, interleaved; card round trips per load of each card AP type against the
 * protocol's minimum (2 after the job starts); the server's CPU per load. The server
 * (PGlite in memory) runs here; the terminals and their emulated cards in a second
 * process. Writes bench/RESULTS.md (`terminal`).
 *
 * MYNA_TERMINAL_SCALE=0.2 for a quick run.
 */
import { fork } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { loadavg } from 'node:os';
import { buildServer, terminalChannelMount } from '@myna-ap/loader';
import { world } from '@myna-ap/loader/testing';
import { addTerminals } from './loadWorld.ts';
import type { BenchItem, TerminalDoneMessage, TerminalRunMessage } from './terminalClient.ts';
import { machine, ms, ratio, summarize, writeResults } from './stats.ts';

const SCALE = Number(process.env.MYNA_TERMINAL_SCALE ?? 1);
const N_ONE = Math.max(10, Math.round(60 * SCALE));
const N_PER32 = Math.max(2, Math.round(3 * SCALE));
const REPS = Math.max(1, Number(process.env.MYNA_TERMINAL_REPS ?? 2));
const MINIMUM_ROUNDS = 2;

const w = await world();
const terms = await addTerminals(w, 32);
const app = buildServer(w.ctx, { mounts: [terminalChannelMount()] });
const url = await app.listen({ port: 0, host: '127.0.0.1' });

async function post(path: string, body: unknown, token?: string): Promise<Record<string, string>> {
  const r = await fetch(url + path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const j = (await r.json()) as Record<string, string>;
  if (!r.ok) throw new Error(`${path}: ${JSON.stringify(j)}`);
  return j;
}

// Every terminal enrolled and approved, as at a real counter.
const terminals: TerminalRunMessage['terminals'][number][] = [];
for (const t of terms) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const e = await post('/terminal/enrol', {
    terminalId: t.id,
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('hex'),
  });
  await post('/terminal/approve', { code: e.code }, w.tokens.admin);
  terminals.push({
    id: t.id,
    token: t.token,
    agentId: e.agentId!,
    keyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  });
}

interface Measured {
  readonly mode: 'channel' | 'http';
  readonly terminals: number;
  readonly n: number;
  readonly wallMs: number;
  readonly latencies: number[];
  readonly rounds: number;
  readonly apdus: number;
  readonly cpuMsPerLoad: number;
  readonly failures: string[];
}

async function measure(
  mode: 'channel' | 'http',
  n: number,
  perTerminal: number,
  items: readonly BenchItem[],
): Promise<Measured & { perLoad: TerminalDoneMessage }> {
  const child = fork(new URL('./terminalClient.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let cpu0 = process.cpuUsage();
  const done = new Promise<TerminalDoneMessage>((resolve, reject) => {
    child.on('message', (m: { type: string }) => {
      if (m.type === 'start') cpu0 = process.cpuUsage();
      if (m.type === 'done') resolve(m as TerminalDoneMessage);
    });
    child.on('exit', (code) => code && reject(new Error(`terminal client exited ${code}`)));
  });
  const msg: TerminalRunMessage = {
    type: 'run',
    mode,
    url,
    terminals: terminals.slice(0, n),
    items,
    perTerminal,
    warmup: 1,
  };
  child.send(msg);
  const d = await done;
  const cpu = process.cpuUsage(cpu0);
  const loads = d.latencies.length;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    mode,
    terminals: n,
    n: loads,
    wallMs: d.wallMs,
    latencies: d.latencies,
    rounds: mean(d.rounds),
    apdus: mean(d.apdus),
    cpuMsPerLoad: (cpu.user + cpu.system) / 1000 / loads,
    failures: d.failures,
    perLoad: d,
  };
}

const C: BenchItem[] = [{ cardApId: w.aps.C }];
const loadAtStart = loadavg()[0]!;
const runs: Measured[] = [];
for (let rep = 0; rep < REPS; rep++) {
  for (const [n, per] of [
    [1, N_ONE],
    [32, N_PER32],
  ] as const) {
    for (const mode of ['channel', 'http'] as const) {
      const r = await measure(mode, n, per, C);
      const s = summarize(r.latencies);
      console.log(
        `${mode} | ${n} terminals: ${((r.n / r.wallMs) * 1000).toFixed(1)} loads/s, p50 ${ms(s.median)}, ` +
          `p99 ${ms(s.p99)}, ${r.rounds.toFixed(1)} round trips, ${r.apdus.toFixed(1)} APDUs, ` +
          `${ms(r.cpuMsPerLoad)} server CPU/load` +
          (r.failures.length ? `, FAILURES ${r.failures.length}: ${r.failures[0]}` : ''),
      );
      runs.push(r);
    }
  }
}

// Round trips per load of each card AP type over the channel, one terminal.
const pin = '4321';
const TYPES: readonly [string, BenchItem][] = [
  ['C', { cardApId: w.aps.C }],
  ['A', { cardApId: w.aps.A, pin }],
  ['D', { cardApId: w.aps.D }],
  ['custom', { cardApId: w.aps.custom, area: 'extended', pin }],
];
const perType: { type: string; channel: number; http: number; apdus: number }[] = [];
for (const [type, item] of TYPES) {
  const ch = await measure('channel', 1, 1, [item]);
  const ht = await measure('http', 1, 1, [item]);
  if (ch.failures.length || ht.failures.length)
    throw new Error(`type ${type}: ${[...ch.failures, ...ht.failures].join(', ')}`);
  perType.push({ type, channel: ch.rounds, http: ht.rounds, apdus: ch.apdus });
}
const loadAtEnd = loadavg()[0]!;
await app.close();
await w.db.close();

// Best of the repetitions per configuration (the machine is shared).
const best = new Map<string, Measured>();
for (const r of runs) {
  const k = `${r.mode}|${r.terminals}`;
  const b = best.get(k);
  if (!b || r.n / r.wallMs > b.n / b.wallMs) best.set(k, r);
}
const rate = (r: Measured) => (r.n / r.wallMs) * 1000;
const row = (r: Measured) => {
  const s = summarize(r.latencies);
  return `| ${r.mode === 'channel' ? 'terminal channel (WebSocket)' : 'HTTP relay'} | ${r.terminals} | ${r.n} | ${rate(r).toFixed(1)} | ${ms(s.median)} | ${ms(s.p99)} | ${r.rounds.toFixed(1)} | ${ms(r.cpuMsPerLoad)} | ${r.failures.length} |`;
};
const order = ['channel|1', 'http|1', 'channel|32', 'http|32'];
const envs = [
  ...(SCALE !== 1 ? [`MYNA_TERMINAL_SCALE=${SCALE}`] : []),
  ...(process.env.MYNA_TERMINAL_REPS ? [`MYNA_TERMINAL_REPS=${REPS}`] : []),
];
const md = `## Terminal channel vs HTTP relay (\`npm run bench -- terminal\`)

Command: \`${[...envs, 'npm run bench -- terminal'].join(' ')}\`

${machine()}; load average ${loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at the end (the machine is shared: figures are the best of ${REPS} interleaved runs${SCALE !== 1 ? `, MYNA_TERMINAL_SCALE=${SCALE}` : ''}). PGlite in memory; the server in one process, the terminals and their emulated cards in another; a type C card AP, a fresh card per load. Over the channel a load is started with \`POST /terminal/jobs\` and its end heard on the agent's socket; over HTTP the terminal itself starts and relays the job (\`relayJob\`). Both relay the same scripts: this compares the transports, not one APDU per exchange (which the server still accepts).

| path | terminals | loads | loads/s | p50 | p99 | card round trips / load | server CPU / load | failures |
|---|---|---|---|---|---|---|---|---|
${order
  .map((k) => best.get(k))
  .filter((r): r is Measured => !!r)
  .map(row)
  .join('\n')}

Channel vs HTTP, loads/s: ${ratio(rate(best.get('channel|1')!), rate(best.get('http|1')!))} with 1 terminal, ${ratio(rate(best.get('channel|32')!), rate(best.get('http|32')!))} with 32.

Card round trips per load after the job starts, by card AP type (one load each; minimum ${MINIMUM_ROUNDS}: the host must see INITIALIZE UPDATE's challenge before EXTERNAL AUTHENTICATE; before scripts each APDU was one):

| type | APDUs | channel | HTTP relay | protocol minimum |
|---|---|---|---|---|
${perType.map((p) => `| ${p.type} | ${p.apdus} | ${p.channel} | ${p.http} | ${MINIMUM_ROUNDS} |`).join('\n')}
`;
console.log(md);
await writeResults('terminal', md);
