/**
 * Key packages (鍵パッケージ): a card AP's master keys, handed to the providers
 * that read it (the owner, its partner stores, joint users) for their business
 * systems' access module. Only administrators get them, and every export is in
 * the audit log. Type C card APs and custom ones with only free EFs have no keys.
 */
import { KEY_PACKAGE_FORMAT, toHex, type CardApKeyPackage, type CardApType } from '@myna-ap/apdu';
import { appendAudit, writeTransaction } from './audit.ts';
import { LoaderError, notFound } from '../errors.ts';
import type { AccessConditions } from '../domain/cardAp.ts';
import type { ProviderId } from '../domain/ids.ts';
import { authorize, type Ctx, type Session } from './context.ts';

export async function exportKeyPackage(
  ctx: Ctx,
  s: Session,
  cardApId: string,
): Promise<CardApKeyPackage> {
  const r = (
    await ctx.db.query<{
      provider_id: string;
      name: string;
      type: CardApType;
      aid: Uint8Array | null;
      access: AccessConditions | null;
      user: boolean;
    }>(
      `SELECT c.provider_id, c.name, c.type, c.aid, v.access,
              EXISTS (SELECT 1 FROM card_ap_users u WHERE u.card_ap_id = c.id AND u.provider_id = $2) AS user
         FROM card_aps c LEFT JOIN card_ap_versions v ON v.card_ap_id = c.id AND v.version = c.version
        WHERE c.id = $1`,
      [cardApId, s.providerId],
    )
  ).rows[0];
  // Neither the owner nor a user: the card AP does not exist for this operator.
  if (!r || (r.provider_id !== s.providerId && !r.user)) throw notFound('card AP', cardApId);
  authorize(s, 'cardap.keys', { providerId: s.providerId });
  if (!r.aid || !r.access) {
    throw new LoaderError(
      'CARDAP_NOT_APPROVED',
      { en: 'the card AP is not approved yet', ja: 'カードAPはまだ承認されていません' },
      409,
    );
  }
  if (!r.access.pin) {
    throw new LoaderError(
      'CARDAP_HAS_NO_KEYS',
      {
        en: `a type ${r.type} card AP without protected data is read without keys`,
        ja: `保護されたデータのないタイプ${r.type}のカードAPは鍵なしで読み取ります`,
      },
      409,
    );
  }
  const master = ctx.keys.cardApMaster(r.aid);
  const pkg: CardApKeyPackage = {
    format: KEY_PACKAGE_FORMAT,
    version: 1,
    cardApId,
    providerId: r.provider_id,
    name: r.name,
    type: r.type,
    aid: toHex(r.aid).toUpperCase(),
    keys: { enc: toHex(master.enc).toUpperCase(), mac: toHex(master.mac).toUpperCase() },
    pin: { fixed: r.access.pin.fixed },
    ...(r.access.efs ? { efs: r.access.efs } : {}),
    issuedAt: ctx.now().toISOString(),
  };
  await writeTransaction(ctx.db, async (tx) => {
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'cardap.keys_export',
        target: cardApId,
        // The owner's audit sees who took its keys; the exporter's provider too.
        detail: { providerId: r.provider_id as ProviderId, exportedBy: s.providerId },
      },
      ctx.now(),
    );
  });
  return pkg;
}
