/**
 * The counter's issuer operations on a card (市区町村窓口), through the card
 * issuer's security domain with the issuer keys: a holder's PIN set anew with
 * every try back (暗証番号の再設定・ロック解除), the 券面 EFs rewritten after an
 * address or name change (記載事項変更), the sign key and certificate replaced
 * (the key made on the card, the certificate issued by the pki side), and an
 * area's blocked key set unblocked. Each operation is one issuer update: the
 * card commits all of it at its last APDU or none of it.
 *
 * The issuer master keys come from the caller's key store. The published TEST
 * keys (`TEST_ISSUER_MASTER_KEYS`, every emulated card made without others) are
 * not secret: `usesTestKeys` says when a session was opened with them.
 * Bytes: packages/card/README.md, "Issuer operations".
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  CardStatusError,
  ISSUER_DIVERSIFY_CODE,
  ISSUER_KEY_VERSION,
  SW,
  Scp03Error,
  diversifyScp03Keys,
  encodeIssuerItem,
  generateKeyPairCommand,
  isTestIssuerMasterKeys,
  issuerStoreDataCommands,
  openSecureSession,
  parseTlv,
  unblockSecurityDomainCommand,
  concat,
  type AreaName,
  type IssuerItem,
  type IssuerMasterKeys,
  type SecureSession,
} from '@myna-ap/apdu';
import { TransportError } from '@myna-ap/transport';
import { AID, ISSUER_SD_AID, JPKI_EF, SD_AID, TEXT_EF, VISUAL_EF } from '@myna-ap/profile';
import type { Text } from '@myna-ap/text';
import { AccessError, cardError } from './errors.ts';
import { HOLDER_PINS, checkPinFormat, type HolderPinKind } from './holderPin.ts';
import type { CardSession } from './session.ts';

const ISSUER_SD: Text = {
  en: "the card issuer's security domain",
  ja: 'カード発行者セキュリティドメイン',
};

/** An open channel to the card issuer's SD. */
export interface IssuerSession {
  readonly secure: SecureSession;
  /** True when it was opened with the published TEST issuer keys. */
  readonly usesTestKeys: boolean;
}

/**
 * SELECT the issuer SD and open its channel (level 33: everything encrypted and
 * MACed both ways) on the session's card; the session forgets its selection
 * (use it for the holder's reads and PINs afterwards as before). Rejects with `NO_ISSUER_DOMAIN`, `ISSUER_KEYS_REJECTED`
 * (the card proved other keys; nothing was counted against it), `KEY_SET_BLOCKED`.
 */
export async function openIssuerSession(
  session: CardSession,
  masters: IssuerMasterKeys,
): Promise<IssuerSession> {
  try {
    // The card's selection moves to the issuer SD: the pipe makes the session forget its own.
    const secure = await openSecureSession(session.pipe(), ISSUER_SD_AID, {
      keys: (kdd) => diversifyScp03Keys(masters, kdd, ISSUER_DIVERSIFY_CODE),
      keyVersion: ISSUER_KEY_VERSION,
      level: 0x33,
    });
    return { secure, usesTestKeys: isTestIssuerMasterKeys(masters) };
  } catch (e) {
    // A card pulled or a reader gone is said as such, not as a refusal of the keys.
    if (e instanceof TransportError) throw e;
    throw channelFailure(e, ISSUER_SD);
  }
}

/** The typed error for a failure to open an SD channel. */
export function channelFailure(e: unknown, what: Text): AccessError {
  const sw = e instanceof CardStatusError || e instanceof Scp03Error ? e.sw : undefined;
  if (sw === SW.FILE_NOT_FOUND) {
    return new AccessError(
      'NO_ISSUER_DOMAIN',
      {
        en: `${what.en} is not on this card (a card file made before issuer operations existed)`,
        ja: `このカードに${what.ja}がありません（発行者操作に対応する前のカードファイル）`,
      },
      { sw },
    );
  }
  if (sw === SW.AUTH_METHOD_BLOCKED) {
    return new AccessError(
      'KEY_SET_BLOCKED',
      {
        en: `${what.en}: its key set is blocked after too many failed authentications`,
        ja: `${what.ja}: 認証の失敗が続いたため鍵がロックされています`,
      },
      { sw },
    );
  }
  if (e instanceof Scp03Error) {
    return new AccessError(
      'ISSUER_KEYS_REJECTED',
      {
        en: `${what.en} did not accept these keys (${e.message}): a card made for other keys, or TEST keys on one side only`,
        ja: `${what.ja}がこの鍵を受け付けませんでした（${e.message}）。別の鍵で作られたカードか、片側だけがテスト鍵です`,
      },
      sw !== undefined ? { sw } : {},
    );
  }
  if (sw !== undefined) return cardError(sw, what);
  return e instanceof AccessError
    ? e
    : new AccessError('CARD_ERROR', { en: String(e), ja: String(e) });
}

function refused(sw: number): AccessError {
  return new AccessError(
    'ISSUER_UPDATE_REFUSED',
    {
      en: `the card refused the issuer update (SW ${sw.toString(16).toUpperCase().padStart(4, '0')}): content of the wrong shape, a PIN against the rules, or parts that disagree; nothing was changed`,
      ja: `カードが発行者更新を拒否しました（SW ${sw.toString(16).toUpperCase().padStart(4, '0')}）。形式の誤り・規則に合わない暗証番号・内容の不整合のいずれかで、何も変更されていません`,
    },
    { sw },
  );
}

/**
 * Sends one issuer update (STORE DATA blocks; the last commits everything).
 * Rejects with `ISSUER_UPDATE_REFUSED` when the card refuses it: nothing changed.
 */
export async function commitIssuerUpdate(
  s: IssuerSession,
  items: readonly IssuerItem[],
): Promise<void> {
  const stream = concat(...items.map(encodeIssuerItem));
  for (const c of issuerStoreDataCommands(stream)) {
    const r = await s.secure.send(c);
    if (r.sw === SW.WRONG_DATA || r.sw === SW.REFERENCED_DATA_NOT_FOUND) throw refused(r.sw);
    if (r.sw !== SW.OK) throw cardError(r.sw, ISSUER_SD);
  }
}

/**
 * 暗証番号の再設定: the PIN the holder typed becomes the PIN, with every try back.
 * The operator never sees it: pass it straight from the holder's keypad.
 * Rejects with `PIN_FORMAT` before anything is sent.
 */
export async function resetHolderPin(
  s: IssuerSession,
  kind: HolderPinKind,
  newPin: string,
): Promise<void> {
  checkPinFormat(kind, newPin, { en: 'new', ja: '新しい' });
  const def = HOLDER_PINS[kind];
  await commitIssuerUpdate(s, [
    { kind: 'pin', aid: def.aid, fid: def.fid, pin: new TextEncoder().encode(newPin) },
  ]);
}

/**
 * New contents of the 券面 EFs after 記載事項変更, built and signed by the card
 * issuer (the layouts and builders: packages/card/README.md and @myna-ap/card's
 * `basicInfoEf`, `textSignatureEf`, `visualEntriesEf`).
 */
export interface CardFaceContents {
  /** 券面事項入力補助AP EF 0002: the 4 info. */
  readonly textBasicInfo: Uint8Array;
  /** 券面事項入力補助AP EF 0003: hashes and issuer signature (over the same My Number). */
  readonly textSignature: Uint8Array;
  /** 券面事項確認AP EF 0002: the card face. */
  readonly visualEntries: Uint8Array;
}

function faceItems(c: CardFaceContents): IssuerItem[] {
  return [
    { kind: 'ef', aid: AID.text, fid: TEXT_EF.basicInfo, content: c.textBasicInfo },
    { kind: 'ef', aid: AID.text, fid: TEXT_EF.signature, content: c.textSignature },
    { kind: 'ef', aid: AID.visual, fid: VISUAL_EF.entries, content: c.visualEntries },
  ];
}

/** Rewrites the 4 info and their signatures on the text and visual APs in one commit. */
export function rewriteCardFace(s: IssuerSession, contents: CardFaceContents): Promise<void> {
  return commitIssuerUpdate(s, faceItems(contents));
}

/** The public key of GENERATE ASYMMETRIC KEY PAIR's answer `7F 49 { 81 n, 82 e }`. */
export function parsePublicKeyTemplate(data: Uint8Array): KeyObject {
  const what = { en: 'generated public key', ja: '生成された公開鍵' };
  try {
    const node = parseTlv(data);
    const n = node.children?.find((c) => c.tag === 0x81)?.value;
    const e = node.children?.find((c) => c.tag === 0x82)?.value;
    if (node.tag !== 0x7f49 || !n || !e) throw new Error('not 7F 49 { 81 n, 82 e }');
    return createPublicKey({
      key: {
        kty: 'RSA',
        n: Buffer.from(n).toString('base64url'),
        e: Buffer.from(e).toString('base64url'),
      },
      format: 'jwk',
    });
  } catch (err) {
    throw new AccessError('BAD_DATA', {
      en: `${what.en}: unexpected content (${(err as Error).message})`,
      ja: `${what.ja}: 内容が不正です（${(err as Error).message}）`,
    });
  }
}

/** Asks the card for a new RSA-2048 key pair (kept on the card until the commit). */
export async function generateSignKeyPair(s: IssuerSession): Promise<KeyObject> {
  const r = await s.secure.send(generateKeyPairCommand());
  if (r.sw !== SW.OK) throw cardError(r.sw, { en: 'key generation', ja: '鍵ペア生成' });
  return parsePublicKeyTemplate(r.data);
}

/**
 * Replaces the sign key and certificate (記載事項変更: the old certificate is
 * revoked by the pki side, the auth certificate stays): the card makes a new key
 * pair, `issue` has the pki side certify its public key (DER certificate back),
 * and the card takes key and certificate — and the new 券面 contents when given —
 * in one commit. The card refuses a certificate that is not for the new key.
 */
export async function replaceSignCertificate(
  s: IssuerSession,
  issue: (publicKey: KeyObject) => Promise<Uint8Array>,
  face?: CardFaceContents,
): Promise<void> {
  const publicKey = await generateSignKeyPair(s);
  const certificate = await issue(publicKey);
  await commitIssuerUpdate(s, [
    { kind: 'key', aid: AID.jpki, fid: JPKI_EF.signKey },
    { kind: 'ef', aid: AID.jpki, fid: JPKI_EF.signCert, content: certificate },
    ...(face ? faceItems(face) : []),
  ]);
}

/** Unblocks an area's key set blocked by failed authentications (its count back to 0). */
export async function unblockAreaKeySet(s: IssuerSession, area: AreaName): Promise<void> {
  const r = await s.secure.send(unblockSecurityDomainCommand(SD_AID[area]));
  if (r.sw !== SW.OK) throw cardError(r.sw, ISSUER_SD);
}
