/**
 * The terminal agent (端末エージェント): keeps one WebSocket to the loading
 * system's server, tells it what the reader sees (a card put in with its ATR,
 * taken out), and runs the scripts of its terminal's card jobs on the card. It
 * holds no card keys: the server opens the secure channel end to end and the
 * agent carries ciphertext it cannot read.
 *
 * When the connection drops it connects again with back-off; the server sends
 * each running job's current step again and the agent answers a step it already
 * ran from memory (steps.ts), so no step runs twice. A card taken out mid-step is
 * answered CARD_REMOVED: the job ends INTERRUPTED and the saga settles at the
 * next contact. Only Node's portable APIs and `ws`: runs on Linux and Windows.
 */
import WebSocket from 'ws';
import { runScript, swPattern, toHex, type Script } from '@myna-ap/apdu';
import { TransportError, type CardChannel } from '@myna-ap/transport';
import {
  CHANNEL_CLOSE,
  agentMessageSchema,
  serverMessageSchema,
  type AgentMessage,
  type ServerMessage,
} from '@myna-ap/loader/contract';
import { DEFAULT_BACKOFF, backoffDelay, type Backoff } from './backoff.ts';
import { StepMemory, type StepAnswer } from './steps.ts';
import { proveChannel, type AgentIdentity } from './identity.ts';

export const AGENT_NAME = 'myna-terminal/0.1';

/** What the agent tells its owner (the CLI prints it; tests wait on it). */
export type AgentEvent =
  | { readonly kind: 'connected' }
  /** The enrolment waits for approval: the agent tries again with back-off. */
  | { readonly kind: 'pending'; readonly retryInMs: number }
  | { readonly kind: 'disconnected'; readonly code: number; readonly retryInMs?: number }
  | { readonly kind: 'stopped'; readonly why: 'asked' | 'replaced' | 'revoked' | 'refused' }
  | { readonly kind: 'card'; readonly event: 'inserted' | 'removed'; readonly atr?: string }
  | {
      readonly kind: 'step';
      readonly jobId: string;
      readonly seq: number;
      readonly commands: number;
      readonly replayed: boolean;
    }
  | {
      readonly kind: 'ended';
      readonly jobId: string;
      readonly state: 'done' | 'failed';
      readonly code?: string;
    }
  | {
      readonly kind: 'refused';
      readonly code: string;
      readonly message: { en: string; ja: string };
    };

export interface AgentOptions {
  /** The server, terminal, agent id and private key from enrolment (identity.ts). */
  readonly identity: AgentIdentity;
  /** The reader (a PC/SC reader, the vpcd reader, the in-process card). */
  readonly reader: CardChannel;
  readonly backoff?: Backoff;
  readonly onEvent?: (e: AgentEvent) => void;
}

/** The channel's URL for a server's base URL. */
export function channelUrl(server: string, terminalId: string, agentId: string): string {
  const u = new URL('/terminal/channel', server);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.searchParams.set('terminal', terminalId);
  u.searchParams.set('agent', agentId);
  return u.toString();
}

/** What a transport failure is called on the channel (the card could not answer). */
function failureOf(e: unknown): 'CARD_REMOVED' | 'NO_CARD' | 'PCSC_ERROR' | undefined {
  if (!(e instanceof TransportError)) return undefined;
  switch (e.code) {
    case 'NO_CARD':
      return 'NO_CARD';
    case 'PCSC_ERROR':
      return 'PCSC_ERROR';
    default:
      return 'CARD_REMOVED';
  }
}

export class TerminalAgent {
  readonly #o: AgentOptions;
  readonly #steps = new StepMemory();
  #ws: WebSocket | undefined;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Scripts run on the card one at a time, in the order they came. */
  #card: Promise<unknown> = Promise.resolve();
  readonly #unsubscribe: (() => void)[] = [];

  constructor(o: AgentOptions) {
    this.#o = o;
  }

  /** Connects, and keeps connecting until `stop`. */
  start(): void {
    const r = this.#o.reader;
    this.#unsubscribe.push(
      r.on('present', () => this.#cardEvent('inserted')),
      r.on('removed', () => this.#cardEvent('removed')),
    );
    // A card already in the reader is an event too (the server hears it on each connect).
    if (r.atr.length > 0) {
      this.#emit({ kind: 'card', event: 'inserted', atr: toHex(r.atr).toUpperCase() });
    }
    this.#connect();
  }

  async stop(): Promise<void> {
    this.#finish('asked');
    await this.#card.catch(() => undefined);
  }

  /** Drops the connection as a network fault would (tests, and a reader that wants a fresh start). */
  dropConnection(): void {
    this.#ws?.terminate();
  }

  #emit(e: AgentEvent): void {
    this.#o.onEvent?.(e);
  }

  #finish(why: 'asked' | 'replaced' | 'revoked' | 'refused'): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    for (const u of this.#unsubscribe.splice(0)) u();
    this.#ws?.close(1000, 'agent stopping');
    this.#emit({ kind: 'stopped', why });
  }

  #connect(): void {
    if (this.#stopped) return;
    const id = this.#o.identity;
    const ws = new WebSocket(channelUrl(id.server, id.terminalId, id.agentId), {
      maxPayload: 1024 * 1024,
    });
    this.#ws = ws;
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let m: ServerMessage;
      try {
        m = serverMessageSchema.parse(JSON.parse(String(data)));
      } catch {
        return; // not of the contract: another server version; nothing to do with it
      }
      this.#onMessage(m);
    });
    ws.on('unexpected-response', (_req, res) => {
      // The upgrade was refused (401: credentials; 403: not at this terminal).
      const status = res.statusCode ?? 0;
      ws.terminate();
      if (status === 401 || status === 403) this.#finish('refused');
    });
    ws.on('error', () => undefined); // 'close' follows and decides
    ws.on('close', (code) => {
      if (this.#ws === ws) this.#ws = undefined;
      if (this.#stopped) return;
      if (code === CHANNEL_CLOSE.REPLACED) return this.#finish('replaced');
      if (code === CHANNEL_CLOSE.REVOKED) return this.#finish('revoked');
      const retryInMs = backoffDelay(this.#attempt++, this.#o.backoff ?? DEFAULT_BACKOFF);
      if (code === CHANNEL_CLOSE.PENDING) this.#emit({ kind: 'pending', retryInMs });
      else this.#emit({ kind: 'disconnected', code, retryInMs });
      this.#timer = setTimeout(() => this.#connect(), retryInMs);
    });
  }

  #send(m: AgentMessage): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    agentMessageSchema.parse(m);
    ws.send(JSON.stringify(m));
    return true;
  }

  #cardEvent(event: 'inserted' | 'removed'): void {
    const atr = event === 'inserted' ? toHex(this.#o.reader.atr).toUpperCase() : undefined;
    this.#emit({ kind: 'card', event, ...(atr ? { atr } : {}) });
    this.#send({ t: 'card', event, ...(atr ? { atr } : {}) });
  }

  #onMessage(m: ServerMessage): void {
    switch (m.t) {
      case 'challenge':
        this.#send({ t: 'prove', signature: proveChannel(this.#o.identity, m.nonce) });
        return;
      case 'welcome': {
        // The channel is open: the agent says who it is and what the reader holds.
        this.#attempt = 0;
        this.#emit({ kind: 'connected' });
        this.#send({ t: 'hello', agent: AGENT_NAME });
        const atr = this.#o.reader.atr;
        if (atr.length > 0) {
          this.#send({ t: 'card', event: 'inserted', atr: toHex(atr).toUpperCase() });
        }
        return;
      }
      case 'refused':
        this.#emit({ kind: 'refused', code: m.code, message: m.message });
        return;
      case 'ended':
        this.#steps.forget(m.jobId);
        this.#emit({
          kind: 'ended',
          jobId: m.jobId,
          state: m.state,
          ...(m.error ? { code: m.error.code } : {}),
        });
        return;
      case 'script': {
        let replayed = true;
        const answer = this.#steps.answer(m.jobId, m.seq, () => {
          replayed = false;
          return this.#run(m.script);
        });
        if (!answer) return; // a late copy of a step already behind us
        this.#emit({
          kind: 'step',
          jobId: m.jobId,
          seq: m.seq,
          commands: m.script.length,
          replayed,
        });
        void answer.then((a) => this.#send({ t: 'answers', jobId: m.jobId, seq: m.seq, ...a }));
        return;
      }
    }
  }

  /** Runs a script on the card, after any script before it. */
  #run(wire: readonly { apdu: string; goOn: readonly string[] }[]): Promise<StepAnswer> {
    const script: Script = wire.map((c) => ({
      apdu: Uint8Array.from(Buffer.from(c.apdu, 'hex')),
      goOn: c.goOn.map(swPattern),
    }));
    const reader = this.#o.reader;
    const run = this.#card.then(async (): Promise<StepAnswer> => {
      try {
        const answers = await runScript((apdu) => reader.transmit(apdu), script);
        return { responses: answers.map((a) => toHex(a).toUpperCase()) };
      } catch (e) {
        const error = failureOf(e);
        if (!error) throw e;
        return { error };
      }
    });
    this.#card = run.catch(() => undefined);
    return run;
  }
}
