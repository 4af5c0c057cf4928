/**
 * The loading system's end of a free area's secure channel (SCP03-style, keys
 * diversified from the area master keys in the key store), with the card's
 * refusals turned into the loader's typed errors. A SELECT of anything else on
 * the card closes the channel, so work is grouped per area: `openArea`, do
 * everything for that area, then move on.
 */
import {
  CardStatusError,
  SW,
  Scp03Error,
  aidLabel,
  bytesEqual,
  keyDiversificationData,
  areaCapacity,
  deleteCardAp,
  installCardAp,
  listCardAps,
  openAreaSession,
  type AreaCapacity,
  type AreaName,
  type CardApInstallSpec,
  type CardApStatusEntry,
  type SecureSession,
  type Transmit,
} from '@myna-ap/apdu';
import { LoaderError } from '../errors.ts';
import { AREA_JA } from '../domain/rules/area.ts';
import type { LoaderKeyStore } from '../keys/keyStore.ts';
import { cardRefused, type CardIdentity } from './cardAccess.ts';

export interface AreaChannel {
  readonly area: AreaName;
  readonly session: SecureSession;
}

/**
 * SELECT the area's SD and open its channel (3 APDUs), on the card identified as
 * `card`. The serial was read in plain, so a terminal (or a relay that swaps
 * cards) could have changed it; the channel's keys are diversified from the KDD
 * the card proves with its cryptogram, and KDD = SHA-256(serial)[0..9]. A
 * mismatch means the saga would write one card's rows for another card: refused.
 */
export async function openArea(
  t: Transmit,
  keys: LoaderKeyStore,
  area: AreaName,
  card: Pick<CardIdentity, 'serial'>,
): Promise<AreaChannel> {
  let session: SecureSession;
  try {
    session = await openAreaSession(t, area, keys.areaMasters());
  } catch (e) {
    if (e instanceof CardStatusError && e.sw === SW.FILE_NOT_FOUND) {
      throw new LoaderError(
        'NO_FREE_AREA',
        {
          en: `the card has no ${area} area (地域住民向け領域 / 拡張利用領域)`,
          ja: `このカードに${AREA_JA[area]}がありません`,
        },
        409,
      );
    }
    if (e instanceof Scp03Error) {
      throw new LoaderError(
        'AREA_KEYS_MISMATCH',
        {
          en: `the card did not accept this server's ${area} area keys (${e.message}): a card made for other keys, test keys on one side only, or answers corrupted on the way from the terminal`,
          ja: `カードが${AREA_JA[area]}の鍵を受け付けませんでした。別の鍵で発行されたカードか、片方だけがテスト鍵か、端末からの応答が途中で壊れています`,
        },
        409,
      );
    }
    if (e instanceof CardStatusError) {
      throw cardRefused(e.sw, { en: `opening the ${area} area`, ja: `${AREA_JA[area]}の選択` });
    }
    throw e;
  }
  const kdd = session.host.initializeUpdate?.keyDiversificationData;
  if (!kdd || !bytesEqual(kdd, keyDiversificationData(card.serial))) {
    throw new LoaderError(
      'CARD_CHANGED',
      {
        en: 'the card in the reader is not the card identified at the start (its secure channel belongs to another card): present one card only and start again',
        ja: 'リーダのカードが最初に読み取ったカードと異なります（セキュアチャネルが別のカードのものです）。カードを1枚だけ置いてやり直してください',
      },
      409,
    );
  }
  return { area, session };
}

export async function capacityOf(a: AreaChannel): Promise<AreaCapacity> {
  try {
    return await areaCapacity(a.session);
  } catch (e) {
    if (e instanceof CardStatusError) {
      throw cardRefused(e.sw, { en: 'GET DATA (capacity)', ja: '空き容量の取得' });
    }
    throw e;
  }
}

export async function cardApsOf(a: AreaChannel): Promise<CardApStatusEntry[]> {
  try {
    return await listCardAps(a.session);
  } catch (e) {
    if (e instanceof CardStatusError) {
      throw cardRefused(e.sw, { en: 'GET STATUS', ja: 'カードAP一覧の取得' });
    }
    throw e;
  }
}

/** What the card said to an INSTALL it refused (nothing was written: the card is atomic). */
export type InstallRefusal =
  | { readonly kind: 'full'; readonly free: number }
  | { readonly kind: 'exists' }
  | { readonly kind: 'refused'; readonly sw: number };

/**
 * INSTALL (+ STORE DATA). Resolves `undefined` when the card committed it, or the
 * refusal. Transport failures (card pulled, terminal gone) are thrown: the
 * outcome is then unknown and recovery asks the card later.
 */
export async function install(
  a: AreaChannel,
  spec: CardApInstallSpec,
): Promise<InstallRefusal | undefined> {
  try {
    await installCardAp(a.session, spec);
    return undefined;
  } catch (e) {
    if (!(e instanceof CardStatusError)) throw e;
    if (e.sw === SW.NOT_ENOUGH_MEMORY) {
      // The channel stays open after a refusal: ask how much is left, to say so.
      const cap = await capacityOf(a);
      return { kind: 'full', free: cap.free };
    }
    if (e.sw === SW.FILE_ALREADY_EXISTS) return { kind: 'exists' };
    return { kind: 'refused', sw: e.sw };
  }
}

/** DELETE; true when the card deleted it, false when it was not there (`6A 88`). */
export async function remove(a: AreaChannel, aid: Uint8Array): Promise<boolean> {
  try {
    await deleteCardAp(a.session, aid);
    return true;
  } catch (e) {
    if (e instanceof CardStatusError && e.sw === SW.REFERENCED_DATA_NOT_FOUND) return false;
    if (e instanceof CardStatusError) {
      throw cardRefused(e.sw, {
        en: `DELETE of ${aidLabel(aid)}`,
        ja: `カードAP ${aidLabel(aid)} の削除`,
      });
    }
    throw e;
  }
}
