/** 搭載端末: a provider's loading terminals and their auto-load presets (自動搭載). */
import type { AreaName } from '@myna-ap/apdu';
import { LoaderError, notFound } from '../errors.ts';
import type { Queryable } from '@myna-ap/db';
import { appendAudit, writeTransaction } from './audit.ts';
import { uniqueViolation } from '@myna-ap/db';
import type { CardApId, ProviderId, TerminalId } from '../domain/ids.ts';
import { authorize, type Ctx, type Session } from './context.ts';
import { findProvider } from './providers.ts';

/** One card AP of an auto-load preset; `area` may be left out when the card AP has one area. */
export interface AutoLoadItem {
  readonly cardApId: string;
  readonly area?: AreaName | undefined;
}

export interface NewTerminal {
  readonly id: TerminalId;
  readonly providerId: ProviderId;
  readonly name: string;
  readonly autoLoad: readonly AutoLoadItem[];
}

/** Each preset entry names a card AP of the terminal's provider, in an area it may go into. */
async function checkAutoLoad(
  tx: Queryable,
  providerId: string,
  items: readonly AutoLoadItem[],
): Promise<AutoLoadItem[]> {
  const out: AutoLoadItem[] = [];
  for (const it of items) {
    const r = await tx.query<{ provider_id: string; areas: AreaName[] }>(
      'SELECT provider_id, areas FROM card_aps WHERE id = $1',
      [it.cardApId],
    );
    const ap = r.rows[0];
    if (!ap || ap.provider_id !== providerId) throw notFound('card AP', it.cardApId);
    if (out.some((o) => o.cardApId === it.cardApId)) {
      throw new LoaderError('CARDAP_REPEATED', {
        en: `card AP ${it.cardApId} is in the preset twice`,
        ja: `カードAP ${it.cardApId} が重複しています`,
      });
    }
    const area = it.area ?? (ap.areas.length === 1 ? ap.areas[0] : undefined);
    if (!area || !ap.areas.includes(area)) {
      throw new LoaderError('AREA_REQUIRED', {
        en: `say which area card AP ${it.cardApId} is loaded into (${ap.areas.join(' or ')})`,
        ja: `カードAP ${it.cardApId} を搭載する領域（${ap.areas.join(' / ')}）を指定してください`,
      });
    }
    out.push({ cardApId: it.cardApId, area });
  }
  return out;
}

export async function createTerminal(ctx: Ctx, s: Session, t: NewTerminal) {
  authorize(s, 'terminal.create', { providerId: t.providerId });
  return writeTransaction(ctx.db, async (tx) => {
    if (!(await findProvider(tx, t.providerId))) throw notFound('provider', t.providerId);
    const autoLoad = await checkAutoLoad(tx, t.providerId, t.autoLoad);
    try {
      await tx.query(
        'INSERT INTO terminals (id, provider_id, name, auto_load) VALUES ($1, $2, $3, $4::jsonb)',
        [t.id, t.providerId, t.name, JSON.stringify(autoLoad)],
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
        detail: { providerId: t.providerId, autoLoad },
      },
      ctx.now(),
    );
    return {
      id: t.id,
      providerId: t.providerId,
      name: t.name,
      autoLoad,
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
    auto_load: AutoLoadItem[];
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

/** A terminal's provider and auto-load preset (what a load without a list of card APs loads). */
export async function autoLoadPreset(
  q: Queryable,
  terminalId: TerminalId,
): Promise<{ providerId: string; items: { cardApId: CardApId; area?: AreaName }[] } | undefined> {
  const t = (
    await q.query<{ provider_id: string; auto_load: AutoLoadItem[] }>(
      'SELECT provider_id, auto_load FROM terminals WHERE id = $1',
      [terminalId],
    )
  ).rows[0];
  if (!t) return undefined;
  return {
    providerId: t.provider_id,
    items: t.auto_load.map((x) => ({
      cardApId: x.cardApId as CardApId,
      ...(x.area ? { area: x.area } : {}),
    })),
  };
}

/** Replaces a terminal's auto-load preset (administrators of its provider). */
export async function setAutoLoad(
  ctx: Ctx,
  s: Session,
  terminalId: string,
  items: readonly AutoLoadItem[],
): Promise<AutoLoadItem[]> {
  return writeTransaction(ctx.db, async (tx) => {
    const t = (
      await tx.query<{ provider_id: string }>(
        'SELECT provider_id FROM terminals WHERE id = $1 FOR UPDATE',
        [terminalId],
      )
    ).rows[0];
    if (!t || (s.role !== 'platform' && t.provider_id !== s.providerId))
      throw notFound('terminal', terminalId);
    authorize(s, 'terminal.create', { providerId: t.provider_id as ProviderId });
    const autoLoad = await checkAutoLoad(tx, t.provider_id, items);
    await tx.query('UPDATE terminals SET auto_load = $2::jsonb WHERE id = $1', [
      terminalId,
      JSON.stringify(autoLoad),
    ]);
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'terminal.auto_load',
        target: terminalId,
        detail: { providerId: t.provider_id, autoLoad },
      },
      ctx.now(),
    );
    return autoLoad;
  });
}
