/**
 * 再交付・更新時のカードAP引継ぎ, database half (the card half is
 * cardops/carryOver.ts). After a renewal (更新) or a reissue (再交付) the JPKI
 * issuer links the new card to the old one (新旧紐付け, @myna-ap/pki
 * cards.jsonl); the loading system asks that link — never the counter — which
 * card came before, reads which card APs were on it, and loads each one the
 * provider allows (`card_aps.carry_over`) onto the new card as a new instance
 * that names the old one (`carried_from`).
 *
 * New user IDs, not the old ones: a user ID is the key of one instance on one
 * card for ever (it is never handed out twice), and the old card may still be
 * in someone's hand (lost, or not yet handed back): a business system that
 * checks offline, by user ID alone, can then refuse the old card's ID and
 * accept only the new one. The providers are told both, in a `card_ap_carried`
 * notice written in the same transaction that records the new instance loaded,
 * so a business system moves its record of the holder to the new user ID
 * without asking the holder to register again.
 */
import type { AreaName } from '@myna-ap/apdu';
import type { Queryable } from '@myna-ap/db';
import type { CardApId, CardId, InstanceId } from '../domain/ids.ts';
import type { CardApStatus } from '../domain/cardAp.ts';
import { hexUpper } from './rows.ts';

/** A card AP instance that was loaded on the old card, and what its card AP allows now. */
export interface CarryCandidate {
  readonly instanceId: InstanceId;
  readonly cardApId: CardApId;
  readonly name: string;
  readonly providerId: string;
  readonly area: AreaName;
  readonly aid: string;
  readonly userId: string;
  /** The provider lets a municipality's counter carry it over (`card_aps.carry_over`). */
  readonly carryOver: boolean;
  readonly cardApStatus: CardApStatus;
  /** A live instance on some card already carries it on. */
  readonly carriedBy: InstanceId | null;
}

interface CandidateRow {
  id: string;
  card_ap_id: string;
  name: string;
  provider_id: string;
  area: AreaName;
  aid: Uint8Array;
  user_id: Uint8Array;
  carry_over: boolean;
  status: CardApStatus;
  carried_by: string | null;
}

/**
 * The old card's instances that were on it when it was given up: `loaded`, and
 * `pending` / `deleting` ones too (their saga never finished on a card that is
 * gone; the holder had asked for them), oldest first.
 */
export async function carryCandidates(q: Queryable, oldCardId: CardId): Promise<CarryCandidate[]> {
  const r = await q.query<CandidateRow>(
    `SELECT i.id, i.card_ap_id, c.name, i.provider_id, i.area, i.aid, i.user_id,
            c.carry_over, c.status,
            (SELECT n.id FROM card_ap_instances n
              WHERE n.carried_from = i.id AND n.state IN ('pending', 'loaded', 'deleting')) AS carried_by
       FROM card_ap_instances i JOIN card_aps c ON c.id = i.card_ap_id
      WHERE i.card_id = $1 AND i.state IN ('pending', 'loaded', 'deleting')
      ORDER BY i.created_at, i.id`,
    [oldCardId],
  );
  return r.rows.map((x) => ({
    instanceId: x.id as InstanceId,
    cardApId: x.card_ap_id as CardApId,
    name: x.name,
    providerId: x.provider_id,
    area: x.area,
    aid: hexUpper(x.aid) ?? '',
    userId: hexUpper(x.user_id) ?? '',
    carryOver: x.carry_over,
    cardApStatus: x.status,
    carriedBy: (x.carried_by as InstanceId | null) ?? null,
  }));
}

/**
 * The `card_ap_carried` notices for a carried-over instance that has just been
 * loaded, inside the caller's transaction (store/instances.ts `settle`): to the
 * card AP's owner and its joint users and partner stores, with the old and new
 * card and user IDs.
 */
export async function noticeCarried(tx: Queryable, instanceId: string, now: Date): Promise<void> {
  await tx.query(
    `INSERT INTO provider_notices (provider_id, kind, card_id, instance_id, detail, created_at)
     SELECT p.told, 'card_ap_carried', n.card_id, n.id,
            jsonb_build_object(
              'cardApId', n.card_ap_id,
              'aid', upper(encode(n.aid, 'hex')),
              'userId', upper(encode(n.user_id, 'hex')),
              'oldCardId', o.card_id,
              'oldInstanceId', o.id,
              'oldUserId', upper(encode(o.user_id, 'hex'))),
            $2
       FROM card_ap_instances n
       JOIN card_ap_instances o ON o.id = n.carried_from
       CROSS JOIN LATERAL (
         SELECT n.provider_id AS told
         UNION SELECT u.provider_id FROM card_ap_users u WHERE u.card_ap_id = n.card_ap_id
       ) p
      WHERE n.id = $1`,
    [instanceId, now],
  );
}
