/**
 * The loading system's end of a free area's secure channel (SCP03-style, keys
 * diversified from the area master keys in the key store), with the card's
 * refusals turned into the loader's typed errors. A SELECT of anything else on
 * the card closes the channel, so work is grouped per area: `openArea`, do
 * everything for that area, then move on.
 */
import {
  CardStatusError,
  GO_ON_OK,
  SW,
  Scp03Error,
  Scp03Host,
  areaHostOptions,
  areaSdAid,
  encodeCommand,
  installCommands,
  parseResponse,
  selectAidCommand,
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
  type Script,
  type SecureSession,
  type Transmit,
} from '@myna-ap/apdu';
import type { CardLink } from './link.ts';
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
    if (e instanceof CardStatusError && e.sw === SW.FILE_NOT_FOUND) throw noArea(area);
    if (e instanceof Scp03Error) throw keysMismatch(area, e);
    if (e instanceof CardStatusError) {
      throw cardRefused(e.sw, { en: `opening the ${area} area`, ja: `${AREA_JA[area]}の選択` });
    }
    throw e;
  }
  const kdd = session.host.initializeUpdate?.keyDiversificationData;
  if (!kdd || !bytesEqual(kdd, keyDiversificationData(card.serial))) throw cardChanged();
  return { area, session };
}

function noArea(area: AreaName): LoaderError {
  return new LoaderError(
    'NO_FREE_AREA',
    {
      en: `the card has no ${area} area (地域住民向け領域 / 拡張利用領域)`,
      ja: `このカードに${AREA_JA[area]}がありません`,
    },
    409,
  );
}

function keysMismatch(area: AreaName, e: Scp03Error): LoaderError {
  return new LoaderError(
    'AREA_KEYS_MISMATCH',
    {
      en: `the card did not accept this server's ${area} area keys (${e.message}): a card made for other keys, test keys on one side only, or answers corrupted on the way from the terminal`,
      ja: `カードが${AREA_JA[area]}の鍵を受け付けませんでした。別の鍵で発行されたカードか、片方だけがテスト鍵か、端末からの応答が途中で壊れています`,
    },
    409,
  );
}

function cardChanged(): LoaderError {
  return new LoaderError(
    'CARD_CHANGED',
    {
      en: 'the card in the reader is not the card identified at the start (its secure channel belongs to another card): present one card only and start again',
      ja: 'リーダのカードが最初に読み取ったカードと異なります（セキュアチャネルが別のカードのものです）。カードを1枚だけ置いてやり直してください',
    },
    409,
  );
}

/**
 * An area's channel opened over scripts (pipelined), for a load: SELECT of the SD
 * and INITIALIZE UPDATE go in one script (with whatever precedes them), EXTERNAL
 * AUTHENTICATE — which needs the card's challenge — goes in front of the area's
 * first commands in the next. Same checks as `openArea`, in the same words.
 */
export interface AreaOpening {
  readonly area: AreaName;
  readonly host: Scp03Host;
  /** SELECT the area's SD, INITIALIZE UPDATE. */
  readonly script: Script;
}

export function beginArea(keys: LoaderKeyStore, area: AreaName): AreaOpening {
  const host = new Scp03Host(areaHostOptions(area, keys.areaMasters()));
  return {
    area,
    host,
    script: [
      { apdu: encodeCommand(selectAidCommand(areaSdAid(area))), goOn: GO_ON_OK },
      { apdu: host.begin(), goOn: GO_ON_OK },
    ],
  };
}

/** A channel whose EXTERNAL AUTHENTICATE rides in front of its first commands. */
export interface PipelinedArea {
  readonly area: AreaName;
  readonly host: Scp03Host;
  readonly link: CardLink;
  /** EXTERNAL AUTHENTICATE, until a script has carried it. */
  extAuth: Uint8Array | undefined;
}

/**
 * The card's answers to `o.script` (fewer when it stopped): checks the card proves
 * the area keys and is `card` (KDD = SHA-256(serial)[0..9]), as `openArea` does.
 */
export function answerArea(
  o: AreaOpening,
  answers: readonly Uint8Array[],
  link: CardLink,
  card: Pick<CardIdentity, 'serial'>,
): PipelinedArea {
  const [sel, init] = answers;
  const selSw = sel ? parseResponse(sel).sw : SW.OK;
  if (selSw === SW.FILE_NOT_FOUND) throw noArea(o.area);
  if (selSw !== SW.OK) {
    throw cardRefused(selSw, { en: `opening the ${o.area} area`, ja: `${AREA_JA[o.area]}の選択` });
  }
  if (!init) throw new Error('answerArea: no INITIALIZE UPDATE answer after a SELECT that went on');
  let extAuth: Uint8Array;
  try {
    extAuth = o.host.onInitUpdateResponse(init);
  } catch (e) {
    if (e instanceof Scp03Error) throw keysMismatch(o.area, e);
    throw e;
  }
  const kdd = o.host.initializeUpdate?.keyDiversificationData;
  if (!kdd || !bytesEqual(kdd, keyDiversificationData(card.serial))) throw cardChanged();
  return { area: o.area, host: o.host, link, extAuth };
}

/**
 * INSTALL (+ STORE DATA) in one script over a pipelined channel (EXTERNAL
 * AUTHENTICATE in front when it has not gone yet). Resolves `undefined` when the
 * card committed it, or the refusal; a card that refuses EXTERNAL AUTHENTICATE
 * ran nothing after it (`keys`). Transport failures are thrown: the outcome is
 * then unknown and recovery asks the card later.
 */
export async function installScripted(
  a: PipelinedArea,
  spec: CardApInstallSpec,
): Promise<InstallRefusal | undefined> {
  const ea = a.extAuth;
  const wrapped = a.host.wrapAll(installCommands(spec));
  const script: Script = [
    ...(ea ? [{ apdu: ea, goOn: GO_ON_OK }] : []),
    ...wrapped.apdus.map((apdu) => ({ apdu, goOn: GO_ON_OK })),
  ];
  a.extAuth = undefined;
  const answers = await a.link.run(script);
  const mine = ea ? answers.slice(1) : answers;
  if (ea) {
    try {
      a.host.onExternalAuthResponse(answers[0]!);
    } catch (e) {
      if (e instanceof Scp03Error) return { kind: 'keys', error: keysMismatch(a.area, e) };
      throw e;
    }
  }
  const last = wrapped.unwrap(mine).at(-1);
  if (!last) throw new Error('installScripted: the card answered none of the INSTALL commands');
  if (last.sw === SW.OK && mine.length === wrapped.apdus.length) return undefined;
  return refusalOf(last.sw, () =>
    capacityOf({ area: a.area, session: sessionOver(a.host, a.link.transmit) }),
  );
}

function sessionOver(host: Scp03Host, t: Transmit): SecureSession {
  return { host, send: async (cmd) => host.unwrap(await t(host.wrap(cmd))) };
}

/** What a refused INSTALL's status means (the card asked how much is left when full). */
async function refusalOf(
  sw: number,
  capacity: () => Promise<AreaCapacity>,
): Promise<InstallRefusal> {
  if (sw === SW.NOT_ENOUGH_MEMORY) return { kind: 'full', free: (await capacity()).free };
  if (sw === SW.FILE_ALREADY_EXISTS) return { kind: 'exists' };
  return { kind: 'refused', sw };
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
  | { readonly kind: 'refused'; readonly sw: number }
  /** The card refused the channel's EXTERNAL AUTHENTICATE sent with it (pipelined). */
  | { readonly kind: 'keys'; readonly error: LoaderError };

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
    // The channel stays open after a refusal: ask how much is left, to say so.
    return refusalOf(e.sw, () => capacityOf(a));
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
