/** 搭載端末: a provider's loading terminals and their auto-load presets (自動搭載). */
import { LoaderError, notFound } from '../errors.ts';
import { appendAudit, writeTransaction } from '../audit.ts';
import { uniqueViolation } from '../db/db.ts';
import type { ProviderId, TerminalId } from '../domain/ids.ts';
import { authorize, type Ctx, type Session } from './context.ts';
import { findProvider } from './providers.ts';

export interface NewTerminal {
  readonly id: TerminalId;
  readonly providerId: ProviderId;
  readonly name: string;
  readonly autoLoad: readonly string[];
}

export async function createTerminal(ctx: Ctx, s: Session, t: NewTerminal) {
  authorize(s, 'terminal.create', { providerId: t.providerId });
  return writeTransaction(ctx.db, async (tx) => {
    if (!(await findProvider(tx, t.providerId))) throw notFound('provider', t.providerId);
    for (const ap of t.autoLoad) {
      const r = await tx.query<{ provider_id: string }>(
        'SELECT provider_id FROM card_aps WHERE id = $1',
        [ap],
      );
      if (r.rows[0]?.provider_id !== t.providerId) throw notFound('card AP', ap);
    }
    try {
      await tx.query(
        'INSERT INTO terminals (id, provider_id, name, auto_load) VALUES ($1, $2, $3, $4::jsonb)',
        [t.id, t.providerId, t.name, JSON.stringify(t.autoLoad)],
      );
    } catch (e) {
      if (uniqueViolation(e) !== undefined) {
        throw new LoaderError(
          'TERMINAL_EXISTS',
          { en: `terminal ${t.id} exists`, ja: `端末 ${t.id} は登録済みです` },
          409,
        );
      }
      throw e;
    }
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'terminal.create',
        target: t.id,
        detail: { providerId: t.providerId, autoLoad: t.autoLoad },
      },
      ctx.now(),
    );
    return {
      id: t.id,
      providerId: t.providerId,
      name: t.name,
      autoLoad: t.autoLoad,
      status: 'active' as const,
    };
  });
}

export async function listTerminals(ctx: Ctx, s: Session) {
  const scope = s.role === 'platform' ? undefined : s.providerId;
  authorize(s, 'terminal.read', scope ? { providerId: scope } : {});
  const r = await ctx.db.query<{
    id: string;
    provider_id: string;
    name: string;
    auto_load: string[];
    status: string;
  }>(
    scope
      ? 'SELECT * FROM terminals WHERE provider_id = $1 ORDER BY id'
      : 'SELECT * FROM terminals ORDER BY id',
    scope ? [scope] : [],
  );
  return r.rows.map((t) => ({
    id: t.id,
    providerId: t.provider_id,
    name: t.name,
    autoLoad: t.auto_load,
    status: t.status,
  }));
}
