/**
 * The terminal's side of a card job: relays each script the server sends (its
 * commands to the card in order, up to the first status that ends it) and the
 * card's answers back in one exchange, until the job ends. The keys and the
 * saga stay on the server; this only carries bytes. Used by `myna load` and
 * friends (HTTP); the terminal agent does the same over its own link.
 */
import { runScript, swPattern, type Script } from '@myna-ap/apdu';
import { ApiError, type ApiClient } from './client.ts';
import { JOB_RESULTS, type Job, type JobResults } from './contract/results.ts';
import type { ExchangeBody, JobBody } from './contract/schemas.ts';

/** A job as the API shows it (contract/results.ts `jobSchema`, `POST /v1/jobs`). */
export type JobReply = Job;

/** Sends one command APDU to the card; rejects when the card cannot answer. */
export type CardTransmit = (apdu: Uint8Array) => Promise<Uint8Array>;

const TERMINAL_FAILURES = new Set(['CARD_REMOVED', 'NO_CARD', 'PCSC_ERROR', 'CHANNEL_CLOSED']);

/** A job's script as the card runs it (the status patterns checked). */
export function scriptOf(j: JobReply): Script | undefined {
  return j.script?.map((c) => ({
    apdu: Uint8Array.from(Buffer.from(c.apdu, 'hex')),
    goOn: c.goOn.map(swPattern),
  }));
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex').toUpperCase();
}

/** What the terminal reports when the card did not answer (a TransportError's code). */
function failureOf(e: unknown): 'CARD_REMOVED' | 'NO_CARD' | 'PCSC_ERROR' | undefined {
  const code = (e as { code?: unknown; name?: unknown }).code;
  if ((e as { name?: unknown }).name !== 'TransportError' || typeof code !== 'string')
    return undefined;
  if (!TERMINAL_FAILURES.has(code)) return undefined;
  return code === 'CHANNEL_CLOSED'
    ? 'CARD_REMOVED'
    : (code as 'CARD_REMOVED' | 'NO_CARD' | 'PCSC_ERROR');
}

export interface RelayOptions {
  /** Called after each exchange (progress). */
  readonly onStep?: (j: JobReply) => void;
}

/** Starts a job with `body` and relays until it is done or failed; resolves with the final reply. */
export async function relayJob(
  client: ApiClient,
  transmit: CardTransmit,
  body: JobBody,
  o: RelayOptions = {},
): Promise<JobReply> {
  let j = await client.call('startJob', { body });
  for (let script = scriptOf(j); j.state === 'running' && script; script = scriptOf(j)) {
    let answer: ExchangeBody;
    try {
      answer = { seq: j.seq, responses: (await runScript(transmit, script)).map(hex) };
    } catch (e) {
      const f = failureOf(e);
      if (!f) throw e;
      answer = { seq: j.seq, error: f };
    }
    const exchange = { params: { id: j.id }, body: answer };
    try {
      j = await client.call('exchange', exchange);
    } catch (e) {
      // One retry of the same answer: the server answers a repeated seq the same way.
      if (!(e instanceof ApiError) || e.code !== 'SERVER_UNREACHABLE') throw e;
      await new Promise((r) => setTimeout(r, 200));
      j = await client.call('exchange', exchange);
    }
    o.onStep?.(j);
  }
  return j;
}

/**
 * The result of a finished job of op `op`, parsed with the contract's schema for
 * that op. A job that did not end done, or not of that op, is the caller's bug or
 * another server version: RESPONSE_INVALID.
 */
export function jobResult<K extends keyof JobResults>(j: JobReply, op: K): JobResults[K] {
  const out = j.state === 'done' && j.op === op ? JOB_RESULTS[op].safeParse(j.result) : undefined;
  if (!out?.success) {
    throw new ApiError(
      'RESPONSE_INVALID',
      {
        en: `job ${j.id} (${j.op}, ${j.state}) has no ${op} result`,
        ja: `カード処理 ${j.id} に ${op} の結果がありません`,
      },
      0,
    );
  }
  return out.data as JobResults[K];
}
