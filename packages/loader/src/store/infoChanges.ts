/**
 * 記載事項変更 at the municipal counter, told to the providers. After a move or a
 * change of name the card issuer rewrites the 4 info on the card (text and
 * visual APs) and replaces its 署名用 certificate (the old one revoked for
 * info-change, the 利用者証明用 one kept). The loader records that it happened —
 * what changed, never the new values, and which sign certificates — and gives a
 * `card_info_change` notice to every provider with a live card AP on the card
 * (owner, joint users, partner stores): a business system keyed by the user ID
 * learns that its record of the holder's address or name may be stale, or that
 * a signature it keeps was made under the old certificate.
 */
import type { CardId, TerminalId } from '../domain/ids.ts';
import { appendAudit, writeTransaction } from './audit.ts';
import { authorize, type Ctx, type Session } from './context.ts';
import { liveHolders } from './feed.ts';
import { checkMunicipalityCounter } from './pinResets.ts';
import { hexUpper } from './rows.ts';

export type InfoField = 'name' | 'address';

export interface InfoChangeReport {
  readonly terminalId: TerminalId;
  readonly changed: readonly InfoField[];
  readonly oldSignSerial: string;
  readonly newSignSerial: string;
}

export interface InfoChangeRecord {
  readonly cardId: string;
  readonly changed: readonly InfoField[];
  readonly notified: readonly string[];
  /** The audit row's id (its seq comes when the sequencer takes it). */
  readonly auditId: string;
  readonly at: string;
}

/**
 * Records a 記載事項変更 and tells the providers concerned, in one transaction.
 * `FORBIDDEN` unless the operator may at that terminal; `MUNICIPALITY_COUNTER_ONLY`
 * unless it is a municipality's counter.
 */
export async function recordInfoChange(
  ctx: Ctx,
  s: Session,
  cardId: CardId,
  r: InfoChangeReport,
): Promise<InfoChangeRecord> {
  authorize(s, 'card.info_change', { providerId: s.providerId, terminalId: r.terminalId });
  const changed = [...r.changed].sort();
  const oldSign = r.oldSignSerial.toLowerCase();
  const newSign = r.newSignSerial.toLowerCase();
  return writeTransaction(
    ctx.db,
    async (tx) => {
      const now = ctx.now();
      await checkMunicipalityCounter(tx, r.terminalId, s.providerId);
      await tx.query('INSERT INTO cards (card_id) VALUES ($1) ON CONFLICT (card_id) DO NOTHING', [
        cardId,
      ]);
      const holders = await liveHolders(tx, cardId);
      for (const h of holders) {
        await tx.query(
          `INSERT INTO provider_notices (provider_id, kind, card_id, instance_id, detail, created_at)
         VALUES ($1, 'card_info_change', $2, $3, $4::jsonb, $5)`,
          [
            h.told,
            cardId,
            h.id,
            JSON.stringify({
              changed,
              cardApId: h.card_ap_id,
              aid: hexUpper(h.aid),
              userId: hexUpper(h.user_id),
            }),
            now,
          ],
        );
      }
      const notified = [...new Set(holders.map((h) => h.told))].sort();
      const row = await appendAudit(
        tx,
        {
          actor: s.operatorId,
          action: 'card.info_change',
          target: cardId,
          detail: {
            cardId,
            terminalId: r.terminalId,
            changed,
            oldSignSerial: oldSign,
            newSignSerial: newSign,
            notified,
          },
        },
        now,
      );
      return { cardId, changed, notified, auditId: row.id, at: row.at };
    },
    { feed: true },
  );
}
