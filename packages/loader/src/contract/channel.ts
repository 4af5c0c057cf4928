/**
 * The terminal channel's messages (one WebSocket per terminal agent, mounted at
 * `/terminal/channel`): JSON text frames, each one of these, checked on both ends
 * with the same schemas.
 *
 *   server → agent:  challenge (on connect)
 *   agent  → server: prove (the challenge signed with the agent's enrolled key)
 *   server → agent:  welcome, or the socket closed (CHANNEL_CLOSE)
 *   agent  → server: hello, card events, a script's answers
 *   server → agent:  a job's script (seq numbers the steps), a job's end, a refusal
 *
 * A step is answered once: the agent keeps the answers of the last step of each
 * job and, when the server sends that step again (its answer was lost with the
 * connection), sends them again instead of running the script a second time; the
 * server takes a repeated answer as the same answer (CardJobs' idempotent replies).
 */
import { z } from 'zod';
import { hexBytes, terminalFailureSchema, terminalIdSchema } from './schemas.ts';
import { itemErrorSchema } from './results.ts';
import { MAX_SCRIPT_ANSWERS } from './schemas.ts';

const hex = hexBytes(1024);
const seq = z.number().int().min(1).max(1_000_000);
const jobId = z.string().min(1).max(64);

export const agentMessageSchema = z.discriminatedUnion('t', [
  /** Ed25519 signature of `channelProof(terminal, agent, nonce)`. */
  z.object({ t: z.literal('prove'), signature: hexBytes(64) }).strict(),
  z.object({ t: z.literal('hello'), agent: z.string().max(100) }).strict(),
  z
    .object({
      t: z.literal('card'),
      event: z.enum(['inserted', 'removed']),
      /** Answer to reset of the card put in, upper-case hex. */
      atr: hexBytes(33).optional(),
    })
    .strict(),
  z
    .object({
      t: z.literal('answers'),
      jobId,
      seq,
      responses: z.array(hex).min(1).max(MAX_SCRIPT_ANSWERS).optional(),
      error: terminalFailureSchema.optional(),
    })
    .strict()
    .refine((m) => (m.responses === undefined) !== (m.error === undefined), {
      message: 'either responses or error',
    }),
]);
export type AgentMessage = z.infer<typeof agentMessageSchema>;

export const serverMessageSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('challenge'), nonce: hexBytes(32) }).strict(),
  z.object({ t: z.literal('welcome'), terminalId: terminalIdSchema }).strict(),
  z
    .object({
      t: z.literal('script'),
      jobId,
      seq,
      script: z
        .array(z.object({ apdu: z.string(), goOn: z.array(z.string()) }))
        .min(1)
        .max(MAX_SCRIPT_ANSWERS),
    })
    .strict(),
  z
    .object({
      t: z.literal('ended'),
      jobId,
      state: z.enum(['done', 'failed']),
      error: itemErrorSchema.optional(),
    })
    .strict(),
  z
    .object({
      t: z.literal('refused'),
      code: z.string(),
      message: z.object({ en: z.string(), ja: z.string() }),
    })
    .strict(),
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;

/**
 * What the agent signs to open the channel: the terminal, its agent id and the
 * server's fresh nonce, under a fixed label (so the signature opens nothing else).
 */
export function channelProof(terminalId: string, agentId: string, nonceHex: string): Uint8Array {
  return new TextEncoder().encode(
    `myna-terminal-channel-v1\n${terminalId}\n${agentId}\n${nonceHex.toUpperCase()}`,
  );
}

/** WebSocket close codes of the channel (4000–4999 are the application's). */
export const CHANNEL_CLOSE = {
  /** Another connection of the same terminal took over. */
  REPLACED: 4001,
  /** The agent's enrolment waits for an administrator's approval: try again later. */
  PENDING: 4002,
  /** The agent's credentials are not valid (revoked, unknown, a bad signature): for good. */
  REVOKED: 4003,
  /** The server is shutting down. */
  SHUTDOWN: 4005,
} as const;
