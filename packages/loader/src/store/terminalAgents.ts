/**
 * 端末エージェントの登録: the key pairs terminal agents authenticate the channel
 * with (migrations/005). Enrolment (an agent's public key → a pending row and an
 * approval code), approval by an administrator of the terminal's provider,
 * revocation; every step in the audit log. The private key never leaves the
 * terminal; the server keeps the public key and checks the channel's signed
 * challenge against it (http/terminalChannel.ts).
 */
import { createPublicKey, randomBytes, randomInt } from 'node:crypto';
import { LoaderError, notFound } from '../errors.ts';
import { appendAudit, writeTransaction } from './audit.ts';
import { authorize, type Ctx, type Session } from './context.ts';

export type AgentState = 'pending' | 'approved' | 'revoked';

/** Pending enrolments one terminal may have at once (a code nobody approves expires only by revocation). */
export const MAX_PENDING_AGENTS = 5;

/** Letters and digits that do not look alike (no 0/O, 1/I/L). */
const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/** An approval code, `XXXX-XXXX` (~40 bits). */
export function newApprovalCode(): string {
  const c = Array.from({ length: 8 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]);
  return `${c.slice(0, 4).join('')}-${c.slice(4).join('')}`;
}

/** A code as typed (any case, with or without the dash) in its stored form. */
export function normaliseCode(code: string): string {
  const s = code.toUpperCase().replace(/[\s-]/g, '');
  return s.length === 8 ? `${s.slice(0, 4)}-${s.slice(4)}` : s;
}

/** Checks `der` is an Ed25519 public key (SubjectPublicKeyInfo). */
export function checkAgentKey(der: Uint8Array): Uint8Array {
  let type: string | undefined;
  try {
    type = createPublicKey({
      key: Buffer.from(der),
      format: 'der',
      type: 'spki',
    }).asymmetricKeyType;
  } catch {
    type = undefined;
  }
  if (type !== 'ed25519') {
    throw new LoaderError(
      'TERMINAL_AGENT_KEY_INVALID',
      {
        en: 'the public key must be an Ed25519 SubjectPublicKeyInfo (DER)',
        ja: '公開鍵は Ed25519 の SubjectPublicKeyInfo（DER）で送ってください',
      },
      400,
    );
  }
  return der;
}

const agentNotFound = (what: string) =>
  new LoaderError(
    'TERMINAL_AGENT_NOT_FOUND',
    {
      en: `no terminal agent enrolment ${what}`,
      ja: `端末エージェントの登録 ${what} が見つかりません`,
    },
    404,
  );

/** Enrols an agent for `terminalId`: a pending row and the code its administrator approves. */
export async function enrolAgent(
  ctx: Ctx,
  terminalId: string,
  publicKey: Uint8Array,
): Promise<{ agentId: string; code: string }> {
  checkAgentKey(publicKey);
  const agentId = `ta_${randomBytes(12).toString('hex')}`;
  const code = newApprovalCode();
  await writeTransaction(ctx.db, async (tx) => {
    const t = await tx.query<{ status: string }>(
      'SELECT status FROM terminals WHERE id = $1 FOR UPDATE',
      [terminalId],
    );
    if (t.rows[0]?.status !== 'active') throw notFound('terminal', terminalId);
    const pending = await tx.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM terminal_agents WHERE terminal_id = $1 AND state = 'pending'",
      [terminalId],
    );
    if ((pending.rows[0]?.n ?? 0) >= MAX_PENDING_AGENTS) {
      throw new LoaderError(
        'TERMINAL_AGENT_PENDING_LIMIT',
        {
          en: `terminal ${terminalId} has ${MAX_PENDING_AGENTS} enrolments waiting for approval: approve or revoke them first`,
          ja: `端末 ${terminalId} には承認待ちの登録が ${MAX_PENDING_AGENTS} 件あります。先に承認または取消してください`,
        },
        429,
      );
    }
    const dup = await tx.query('SELECT 1 FROM terminal_agents WHERE public_key = $1', [publicKey]);
    if (dup.rows.length > 0) {
      throw new LoaderError(
        'TERMINAL_AGENT_KEY_INVALID',
        {
          en: 'this public key is enrolled already: make a new key pair',
          ja: 'この公開鍵は既に登録されています。新しい鍵ペアを作成してください',
        },
        400,
      );
    }
    await tx.query(
      `INSERT INTO terminal_agents (id, terminal_id, public_key, code, created_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [agentId, terminalId, publicKey, code, ctx.now()],
    );
    await appendAudit(
      tx,
      {
        actor: 'system',
        action: 'terminal.agent_enrolled',
        target: agentId,
        detail: { terminalId, agentId },
      },
      ctx.now(),
    );
  });
  return { agentId, code };
}

interface AgentRow {
  readonly id: string;
  readonly terminal_id: string;
  readonly provider_id: string;
  readonly state: AgentState;
}

async function change(
  ctx: Ctx,
  s: Session,
  find: { code: string } | { agentId: string },
  to: 'approved' | 'revoked',
): Promise<{ agentId: string; terminalId: string }> {
  return writeTransaction(ctx.db, async (tx) => {
    const r = await tx.query<AgentRow>(
      `SELECT a.id, a.terminal_id, t.provider_id, a.state
         FROM terminal_agents a JOIN terminals t ON t.id = a.terminal_id
        WHERE ${'code' in find ? 'a.code = $1' : 'a.id = $1'} FOR UPDATE OF a`,
      ['code' in find ? normaliseCode(find.code) : find.agentId],
    );
    const a = r.rows[0];
    const what = 'code' in find ? `with code ${normaliseCode(find.code)}` : find.agentId;
    // Another provider's agents do not exist for you.
    if (!a) throw agentNotFound(what);
    try {
      authorize(s, 'terminal.create', { providerId: a.provider_id as Session['providerId'] });
    } catch {
      throw agentNotFound(what);
    }
    if (to === 'approved' && a.state !== 'pending') throw agentNotFound(what);
    if (to === 'revoked' && a.state === 'revoked')
      return { agentId: a.id, terminalId: a.terminal_id };
    await tx.query(
      to === 'approved'
        ? "UPDATE terminal_agents SET state = 'approved', code = NULL, approved_by = $2, approved_at = $3 WHERE id = $1"
        : "UPDATE terminal_agents SET state = 'revoked', code = NULL, revoked_by = $2, revoked_at = $3 WHERE id = $1",
      [a.id, s.operatorId, ctx.now()],
    );
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: to === 'approved' ? 'terminal.agent_approved' : 'terminal.agent_revoked',
        target: a.id,
        detail: { providerId: a.provider_id, terminalId: a.terminal_id, agentId: a.id },
      },
      ctx.now(),
    );
    return { agentId: a.id, terminalId: a.terminal_id };
  });
}

/** Approves the enrolment the agent printed `code` for. */
export function approveAgent(ctx: Ctx, s: Session, code: string) {
  return change(ctx, s, { code }, 'approved');
}

/** Revokes an agent for good (its open socket is the channel's to close). */
export function revokeAgent(ctx: Ctx, s: Session, agentId: string) {
  return change(ctx, s, { agentId }, 'revoked');
}

/** What the channel checks a signature against: the agent's key, terminal and state. */
export async function agentKey(
  ctx: Ctx,
  agentId: string,
): Promise<{ terminalId: string; state: AgentState; publicKey: Uint8Array } | undefined> {
  const r = await ctx.db.query<{ terminal_id: string; state: AgentState; public_key: Uint8Array }>(
    'SELECT terminal_id, state, public_key FROM terminal_agents WHERE id = $1',
    [agentId],
  );
  const a = r.rows[0];
  return a && { terminalId: a.terminal_id, state: a.state, publicKey: a.public_key };
}
