/**
 * The terminal channel: one WebSocket per terminal agent (`myna terminal run`),
 * mounted on the loader's server through the seam (docs/server.md). The agent
 * reports its reader's card events and relays the card jobs of its terminal:
 * the server sends each step's script, the agent answers with the card's
 * responses. The keys stay here: the agent sees SCP03 ciphertext only.
 *
 *   POST /terminal/enrol {terminalId, publicKey}  an agent's key → {agentId, code} (public)
 *   POST /terminal/approve {code}                 an administrator approves the code
 *   POST /terminal/agents/:id/revoke              cuts the agent off at once
 *   GET  /terminal/channel?terminal=T&agent=A     the socket: a challenge the agent signs
 *                                                 with its enrolled key (no operator password)
 *   POST /terminal/jobs {job body}                starts a card job relayed over the terminal's
 *                                                 socket; poll GET /v1/jobs/:id for its end
 *   GET  /terminal/terminals/:id                  is an agent connected, is a card in its reader
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
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { fromHex, toHex } from '@myna-ap/apdu';
import { LoaderError } from '../errors.ts';
import {
  CHANNEL_CLOSE,
  agentMessageSchema,
  channelProof,
  serverMessageSchema,
  type AgentMessage,
  type ServerMessage,
} from '../contract/channel.ts';
import { jobBody, terminalIdSchema } from '../contract/schemas.ts';
import type { CardJobs, JobView } from '../cardops/jobs.ts';
import { authorize, type Ctx, type Session } from '../store/context.ts';
import { agentKey, approveAgent, enrolAgent, revokeAgent } from '../store/terminalAgents.ts';
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
  /** The agent behind each terminal's socket. */
  readonly #agents = new Map<string, string>();
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

  /** A new socket for the terminal (its agent proven): it takes over from an older one. */
  connect(terminalId: string, ws: WebSocket, agentId: string): void {
    const old = this.#sockets.get(terminalId);
    if (old && old !== ws) old.close(CHANNEL_CLOSE.REPLACED, 'another connection took over');
    this.#sockets.set(terminalId, ws);
    this.#agents.set(terminalId, agentId);
    ws.on('close', () => {
      if (this.#sockets.get(terminalId) === ws) {
        this.#sockets.delete(terminalId);
        this.#agents.delete(terminalId);
      }
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

  /** Closes the socket of a revoked agent at once, if it has one open. */
  cutAgent(terminalId: string, agentId: string): void {
    if (this.#agents.get(terminalId) !== agentId) return;
    this.#sockets.get(terminalId)?.close(CHANNEL_CLOSE.REVOKED, 'revoked');
    this.#sockets.delete(terminalId);
    this.#agents.delete(terminalId);
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
      case 'prove':
        return; // once is enough: the socket is open
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

const channelQuery = z.object({ terminal: terminalIdSchema, agent: z.string().max(64) }).strict();
const terminalParams = z.object({ id: terminalIdSchema }).strict();
const agentParams = z.object({ id: z.string().regex(/^ta_[0-9a-f]{24}$/) }).strict();
const enrolBody = z
  .object({
    terminalId: terminalIdSchema,
    publicKey: z.string().regex(/^([0-9A-Fa-f]{2}){32,200}$/),
  })
  .strict();
const approveBody = z.object({ code: z.string().min(8).max(20) }).strict();

/** How long a new socket has to answer the challenge. */
export const PROOF_TIMEOUT_MS = 10_000;

/**
 * The agent's answer to the challenge: the close code when it does not open the
 * channel (PENDING: not approved yet; REVOKED: anything else), or undefined.
 */
async function checkProof(
  ctx: Ctx,
  terminalId: string,
  agentId: string,
  nonceHex: string,
  signatureHex: string,
): Promise<number | undefined> {
  const a = await agentKey(ctx, agentId);
  if (!a || a.terminalId !== terminalId || a.state === 'revoked') return CHANNEL_CLOSE.REVOKED;
  const key = createPublicKey({ key: Buffer.from(a.publicKey), format: 'der', type: 'spki' });
  const ok = verify(
    null,
    channelProof(terminalId, agentId, nonceHex),
    key,
    Buffer.from(signatureHex, 'hex'),
  );
  if (!ok) return CHANNEL_CLOSE.REVOKED;
  return a.state === 'pending' ? CHANNEL_CLOSE.PENDING : undefined;
}

/** The terminal channel as a mount: `buildServer(ctx, { mounts: [terminalChannelMount()] })`. */
export function terminalChannelMount(onReady?: (channels: TerminalChannels) => void): Mount {
  return {
    name: 'terminal',
    prefix: '/terminal',
    async plugin(app: FastifyInstance, mount: MountContext) {
      const ctx = mount.loader;
      const channels = new TerminalChannels(ctx.jobs, ctx.now);
      onReady?.(channels);
      app.addHook('onClose', async () => channels.close());

      // The agent's own credentials, checked here: public to the operator hook.
      app.get('/channel', { websocket: true, config: { public: true } }, (socket, req) => {
        const q = channelQuery.safeParse(req.query);
        if (!q.success) {
          socket.close(1008, 'give ?terminal=ID&agent=ID');
          return;
        }
        const { terminal, agent } = q.data;
        const nonce = toHex(randomBytes(32)).toUpperCase();
        const timer = setTimeout(
          () => socket.close(CHANNEL_CLOSE.REVOKED, 'no proof'),
          PROOF_TIMEOUT_MS,
        );
        socket.once('message', (data, isBinary) => {
          clearTimeout(timer);
          void (async () => {
            let code: number | undefined = CHANNEL_CLOSE.REVOKED;
            try {
              const m = isBinary ? undefined : agentMessageSchema.parse(JSON.parse(String(data)));
              if (m?.t === 'prove')
                code = await checkProof(ctx, terminal, agent, nonce, m.signature);
            } catch {
              code = CHANNEL_CLOSE.REVOKED;
            }
            if (code !== undefined)
              socket.close(code, code === CHANNEL_CLOSE.PENDING ? 'not approved yet' : 'refused');
            else channels.connect(terminal, socket, agent);
          })();
        });
        send(socket, { t: 'challenge', nonce });
      });

      app.post('/enrol', { config: { public: true } }, async (req, reply) => {
        const body = enrolBody.parse(req.body);
        const r = await enrolAgent(ctx, body.terminalId, fromHex(body.publicKey));
        return reply.code(201).send(r);
      });

      app.post('/approve', async (req) => {
        const session = mount.operatorOf(req);
        return approveAgent(ctx, session, approveBody.parse(req.body).code);
      });

      app.post('/agents/:id/revoke', async (req) => {
        const session = mount.operatorOf(req);
        const r = await revokeAgent(ctx, session, agentParams.parse(req.params).id);
        // At once: the revoked agent's socket is closed before the answer goes.
        channels.cutAgent(r.terminalId, r.agentId);
        return { ...r, state: 'revoked' };
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
        const v = await startCardJob(ctx, session, body);
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
