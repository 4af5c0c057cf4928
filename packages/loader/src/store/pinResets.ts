/**
 * 暗証番号の再設定（ロック解除）at the municipal counter, in the audit log. The
 * reset itself runs between the counter's card and the card issuer's security
 * domain (`myna card pin-reset`); the platform records who did it, where, to
 * which card and PIN, and how far it got: `confirmed` (the holder's card proved
 * itself, before anything is written), then `reset` or `failed`. The PIN and
 * the security code never reach the platform: the request schema has no field
 * for them and refuses any other.
 */
import { LoaderError } from '../errors.ts';
import type { CardId, TerminalId } from '../domain/ids.ts';
import type { Queryable } from '@myna-ap/db';
import { appendAudit, writeTransaction } from './audit.ts';
import { authorize, type Ctx, type Session } from './context.ts';

export type HolderPin = 'auth' | 'sign' | 'text' | 'juki';
export type PinResetOutcome = 'confirmed' | 'reset' | 'failed';

export interface PinResetReport {
  readonly terminalId: TerminalId;
  readonly which: HolderPin;
  readonly outcome: PinResetOutcome;
  readonly cardKeyId?: string | undefined;
  readonly error?: string | undefined;
}

export interface PinResetRecord {
  readonly cardId: string;
  readonly which: HolderPin;
  readonly outcome: PinResetOutcome;
  /** The audit row's id (its seq comes when the sequencer takes it). */
  readonly auditId: string;
  readonly at: string;
}

/**
 * Refuses (`MUNICIPALITY_COUNTER_ONLY`) unless the terminal is a counter of the
 * operator's provider and that provider is a municipality (the counter of
 * seed 004: PIN reset, 記載事項変更).
 */
export async function checkMunicipalityCounter(
  tx: Queryable,
  terminalId: TerminalId,
  providerId: string | null,
): Promise<void> {
  const p = await tx.query<{ kind: string }>(
    `SELECT p.kind FROM terminals t JOIN providers p ON p.id = t.provider_id
      WHERE t.id = $1 AND t.provider_id = $2`,
    [terminalId, providerId],
  );
  if (p.rows[0]?.kind !== 'municipality') {
    throw new LoaderError(
      'MUNICIPALITY_COUNTER_ONLY',
      {
        en: `this is done at a municipality's counter; terminal ${terminalId} is not one`,
        ja: `この手続は市区町村の窓口で行います。端末 ${terminalId} は市区町村の窓口ではありません`,
      },
      403,
    );
  }
}

/**
 * Records one step of a PIN reset. `FORBIDDEN` unless the operator may reset at
 * that terminal of its provider; `MUNICIPALITY_COUNTER_ONLY` when the provider
 * is not a municipality (the counter of seed 004).
 */
export async function recordPinReset(
  ctx: Ctx,
  s: Session,
  cardId: CardId,
  r: PinResetReport,
): Promise<PinResetRecord> {
  authorize(s, 'card.pin_reset', { providerId: s.providerId, terminalId: r.terminalId });
  return writeTransaction(ctx.db, async (tx) => {
    const now = ctx.now();
    await checkMunicipalityCounter(tx, r.terminalId, s.providerId);
    const row = await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'card.pin_reset',
        target: cardId,
        detail: {
          cardId,
          terminalId: r.terminalId,
          which: r.which,
          outcome: r.outcome,
          ...(r.cardKeyId === undefined ? {} : { cardKeyId: r.cardKeyId.toUpperCase() }),
          ...(r.error === undefined ? {} : { error: r.error }),
        },
      },
      now,
    );
    return { cardId, which: r.which, outcome: r.outcome, auditId: row.id, at: row.at };
  });
}
