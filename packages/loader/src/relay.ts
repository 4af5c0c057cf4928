/**
 * The terminal's side of a card job: relays each command APDU the server sends
 * to the card and the card's answer back, until the job ends. The keys and the
 * saga stay on the server; this only carries bytes. Used by `myna load` and
 * friends (HTTP); the terminal agent does the same over its own link.
 */
import { ApiError, type ApiClient } from './client.ts';

/** A job as the API shows it (see /openapi.json, `POST /v1/jobs`). */
export interface JobReply {
  readonly id: string;
  readonly op: 'load' | 'delete' | 'diagnose' | 'move_in' | 'reset_pin';
  readonly state: 'running' | 'done' | 'failed';
  readonly seq: number;
  readonly command?: string;
  readonly result?: unknown;
  readonly error?: {
    code: string;
    message: { en: string; ja: string };
    detail?: Record<string, unknown>;
  };
  readonly apdus: number;
}

/** Sends one command APDU to the card; rejects when the card cannot answer. */
export type CardTransmit = (apdu: Uint8Array) => Promise<Uint8Array>;

const TERMINAL_FAILURES = new Set(['CARD_REMOVED', 'NO_CARD', 'PCSC_ERROR', 'CHANNEL_CLOSED']);

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
  body: Record<string, unknown>,
  o: RelayOptions = {},
): Promise<JobReply> {
  let j = await client.post<JobReply>('/v1/jobs', body);
  while (j.state === 'running' && j.command !== undefined) {
    let answer: Record<string, unknown>;
    try {
      answer = { seq: j.seq, response: hex(await transmit(Buffer.from(j.command, 'hex'))) };
    } catch (e) {
      const f = failureOf(e);
      if (!f) throw e;
      answer = { seq: j.seq, error: f };
    }
    const path = `/v1/jobs/${encodeURIComponent(j.id)}/exchange`;
    try {
      j = await client.post<JobReply>(path, answer);
    } catch (e) {
      // One retry of the same answer: the server answers a repeated seq the same way.
      if (!(e instanceof ApiError) || e.code !== 'SERVER_UNREACHABLE') throw e;
      await new Promise((r) => setTimeout(r, 200));
      j = await client.post<JobReply>(path, answer);
    }
    o.onStep?.(j);
  }
  return j;
}
