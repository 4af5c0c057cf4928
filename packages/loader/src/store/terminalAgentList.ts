/**
 * The terminal agents (端末エージェント) an administrator sees in the console:
 * enrolments waiting for approval, approved and revoked agents. Never the
 * approval code: the administrator types the code the counter PC shows, so that
 * what is approved is that PC's agent and not another enrolment waiting beside it.
 * Only the terminals of the operator's own provider (the platform sees all); the
 * changes themselves are terminalAgents.ts's (approve by code, revoke).
 */
import { authorize, type Ctx, type Session } from './context.ts';
import type { AgentState } from './terminalAgents.ts';

export interface AgentListRow {
  readonly id: string;
  readonly terminalId: string;
  readonly providerId: string;
  readonly state: AgentState;
  readonly createdAt: string;
  readonly approvedAt: string | null;
  readonly revokedAt: string | null;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/** Newest first; waiting enrolments of another provider do not exist for you. */
export async function listAgents(ctx: Ctx, s: Session): Promise<AgentListRow[]> {
  authorize(s, 'terminal.create', s.providerId === null ? {} : { providerId: s.providerId });
  const r = await ctx.db.query<{
    id: string;
    terminal_id: string;
    provider_id: string;
    state: AgentState;
    created_at: Date;
    approved_at: Date | null;
    revoked_at: Date | null;
  }>(
    `SELECT a.id, a.terminal_id, t.provider_id, a.state, a.created_at, a.approved_at, a.revoked_at
       FROM terminal_agents a JOIN terminals t ON t.id = a.terminal_id
      WHERE $1::text IS NULL OR t.provider_id = $1
      ORDER BY a.created_at DESC, a.id`,
    [s.role === 'platform' ? null : s.providerId],
  );
  return r.rows.map((a) => ({
    id: a.id,
    terminalId: a.terminal_id,
    providerId: a.provider_id,
    state: a.state,
    createdAt: iso(a.created_at)!,
    approvedAt: iso(a.approved_at),
    revokedAt: iso(a.revoked_at),
  }));
}
