/**
 * The terminal channel: one WebSocket per terminal agent (`myna terminal run`),
 * mounted on the loader's server through the seam (docs/server.md). The agent
 * reports its reader's card events and relays the card jobs of its terminal:
 * the server sends each step's script, the agent answers with the card's
 * responses. The keys stay here: the agent sees SCP03 ciphertext only.
 *
 *   GET  /terminal/channel?terminal=ID   the socket (authenticated upgrade)
 *   POST /terminal/jobs {job body}       starts a card job relayed over the terminal's socket;
 *                                        poll GET /v1/jobs/:id for its end
 *   GET  /terminal/terminals/:id         is an agent connected, is a card in its reader
 *
 * A lost connection does not end a job: the job waits (CardJobs' idle timeout)
 * and, when the agent is back, its current step is sent again; the agent answers
 * a step it already ran from what it kept, so no step runs twice. A card pulled
 * mid-job is the agent's CARD_REMOVED answer: the job ends INTERRUPTED and the
 * saga recovers at the next contact, as over HTTP.
 */
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from '@fastify/websocket';
import { z } from 'zod';
import { fromHex } from '@myna-ap/apdu';
import { LoaderError } from '../errors.ts';
import {
  CHANNEL_CLOSE,
  agentMessageSchema,
  serverMessageSchema,
  type AgentMessage,
  type ServerMessage,
} from '../contract/channel.ts';
import { jobBody, terminalIdSchema } from '../contract/schemas.ts';
import type { CardJobs, JobView } from '../cardops/jobs.ts';
import { authorize, type Session } from '../store/context.ts';
import type { TerminalId } from '../domain/ids.ts';
import type { Mount, MountContext } from './mount.ts';
import { startCardJob } from './cardRoutes.ts';

/** What the server knows of a terminal's reader, from its agent's events. */
export interface TerminalPresence {
  readonly connected: boolean;
  readonly card: {
    readonly present: boolean;
    readonly atr?: string;
    readonly since: string;
  } | null;
}

/** The card work an operator must be allowed at a terminal to relay its jobs. */
function mayRelayAt(s: Session, terminalId: string): void {
  authorize(s, 'card.diagnose', {
    providerId: s.providerId,
    terminalId: terminalId as TerminalId,
  });
}

function send(ws: WebSocket | undefined, m: ServerMessage): void {
  if (!ws || ws.readyState !== ws.OPEN) return;
  // Under tests, every message is checked against the contract, as HTTP answers are.
  if (process.env.NODE_TEST_CONTEXT || process.env.MYNA_CHECK_RESPONSES === '1') {
    serverMessageSchema.parse(m);
  }
  ws.send(JSON.stringify(m));
}

/** The sockets of one server's terminals and the jobs they relay. */
export class TerminalChannels {
  readonly #sockets = new Map<string, WebSocket>();
  /** Running jobs relayed over a channel: job id → its terminal and operator. */
  readonly #jobs = new Map<string, { terminalId: string; operatorId: string }>();
  readonly #cards = new Map<string, NonNullable<TerminalPresence['card']>>();

  constructor(
    readonly jobs: CardJobs,
    readonly now: () => Date = () => new Date(),
  ) {}

  connected(terminalId: string): boolean {
    return this.#sockets.has(terminalId);
  }

  presence(terminalId: string): TerminalPresence {
    return { connected: this.connected(terminalId), card: this.#cards.get(terminalId) ?? null };
  }

  /** A new socket for the terminal: it takes over from an older one. */
  connect(terminalId: string, ws: WebSocket): void {
    const old = this.#sockets.get(terminalId);
    if (old && old !== ws) old.close(CHANNEL_CLOSE.REPLACED, 'another connection took over');
    this.#sockets.set(terminalId, ws);
    ws.on('close', () => {
      if (this.#sockets.get(terminalId) === ws) this.#sockets.delete(terminalId);
    });
    ws.on('message', (data, isBinary) => {
      void this.#onMessage(terminalId, ws, isBinary ? undefined : String(data));
    });
    send(ws, { t: 'welcome', terminalId: terminalIdSchema.parse(terminalId) });
  }

  /** Relays a job over the terminal's socket, from its first step on. */
  attach(terminalId: string, operatorId: string, v: JobView): void {
    this.#jobs.set(v.id, { terminalId, operatorId });
    this.#push(terminalId, v);
  }

  /** Server shutdown: every socket closed with a code that says so. */
  close(): void {
    for (const ws of this.#sockets.values())
      ws.close(CHANNEL_CLOSE.SHUTDOWN, 'server shutting down');
    this.#sockets.clear();
  }

  /** Closes a terminal's socket at once (its credentials went away). */
  cut(terminalId: string, code: number = CHANNEL_CLOSE.REVOKED): void {
    this.#sockets.get(terminalId)?.close(code, 'cut off');
    this.#sockets.delete(terminalId);
  }

  #push(terminalId: string, v: JobView): void {
    const ws = this.#sockets.get(terminalId);
    if (v.state === 'running') {
      if (v.script)
        send(ws, {
          t: 'script',
          jobId: v.id,
          seq: v.seq,
          script: v.script.map((c) => ({ apdu: c.apdu, goOn: [...c.goOn] })),
        });
      return;
    }
    this.#jobs.delete(v.id);
    send(ws, {
      t: 'ended',
      jobId: v.id,
      state: v.state,
      ...(v.error ? { error: { ...v.error } } : {}),
    });
  }

  #refuse(ws: WebSocket, e: LoaderError): void {
    send(ws, { t: 'refused', code: e.code, message: e.text });
  }

  async #onMessage(terminalId: string, ws: WebSocket, text: string | undefined): Promise<void> {
    let m: AgentMessage;
    try {
      m = agentMessageSchema.parse(JSON.parse(text ?? ''));
    } catch {
      this.#refuse(
        ws,
        new LoaderError(
          'BAD_REQUEST',
          {
            en: 'a channel message must be one JSON text frame of the channel contract',
            ja: 'チャネルのメッセージは契約どおりのJSONテキストで送ってください',
          },
          400,
        ),
      );
      return;
    }
    switch (m.t) {
      case 'hello':
        // After each (re)connect: every job of this terminal gets its current step again.
        for (const [id, a] of this.#jobs) {
          if (a.terminalId !== terminalId) continue;
          try {
            this.#push(terminalId, this.jobs.get(a.operatorId, id));
          } catch {
            this.#jobs.delete(id); // purged after it ended
          }
        }
        return;
      case 'card':
        this.#cards.set(terminalId, {
          present: m.event === 'inserted',
          ...(m.atr ? { atr: m.atr.toUpperCase() } : {}),
          since: this.now().toISOString(),
        });
        return;
      case 'answers':
        return this.#onAnswers(terminalId, ws, m);
    }
  }

  async #onAnswers(
    terminalId: string,
    ws: WebSocket,
    m: Extract<AgentMessage, { t: 'answers' }>,
  ): Promise<void> {
    const a = this.#jobs.get(m.jobId);
    if (!a || a.terminalId !== terminalId) {
      send(ws, { t: 'ended', jobId: m.jobId, state: 'failed' });
      return;
    }
    const answer = m.responses ? m.responses.map(fromHex) : m.error!;
    try {
      this.#push(terminalId, await this.jobs.exchange(a.operatorId, m.jobId, m.seq, answer));
    } catch (e) {
      if (!(e instanceof LoaderError)) throw e;
      if (e.code === 'JOB_OUT_OF_STEP' || e.code === 'JOB_FINISHED') {
        // A late copy of an older step: the agent gets where the job stands now.
        this.#push(terminalId, this.jobs.get(a.operatorId, m.jobId));
        return;
      }
      this.#refuse(ws, e);
    }
  }
}

const channelQuery = z.object({ terminal: terminalIdSchema }).strict();
const terminalParams = z.object({ id: terminalIdSchema }).strict();

/** The terminal channel as a mount: `buildServer(ctx, { mounts: [terminalChannelMount()] })`. */
export function terminalChannelMount(onReady?: (channels: TerminalChannels) => void): Mount {
  return {
    name: 'terminal',
    prefix: '/terminal',
    async plugin(app: FastifyInstance, mount: MountContext) {
      const channels = new TerminalChannels(mount.loader.jobs, mount.loader.now);
      onReady?.(channels);
      app.addHook('onClose', async () => channels.close());

      app.get('/channel', { websocket: true }, (socket, req) => {
        const session = mount.operatorOf(req);
        const q = channelQuery.safeParse(req.query);
        if (!q.success) {
          socket.close(1008, 'give ?terminal=ID');
          return;
        }
        try {
          mayRelayAt(session, q.data.terminal);
        } catch {
          socket.close(1008, 'not allowed at this terminal');
          return;
        }
        channels.connect(q.data.terminal, socket);
      });

      app.post('/jobs', async (req, reply) => {
        const session = mount.operatorOf(req);
        const body = jobBody.parse(req.body);
        mayRelayAt(session, body.terminalId);
        if (!channels.connected(body.terminalId)) {
          throw new LoaderError(
            'TERMINAL_OFFLINE',
            {
              en: `terminal ${body.terminalId} has no agent connected: start \`myna terminal run\` there`,
              ja: `端末 ${body.terminalId} のエージェントが接続していません。端末で \`myna terminal run\` を起動してください`,
            },
            409,
          );
        }
        const v = await startCardJob(mount.loader, session, body);
        channels.attach(body.terminalId, session.operatorId, v);
        return reply.code(201).send(v);
      });

      app.get('/terminals/:id', async (req) => {
        const session = mount.operatorOf(req);
        const { id } = terminalParams.parse(req.params);
        mayRelayAt(session, id);
        return channels.presence(id);
      });
    },
  };
}
