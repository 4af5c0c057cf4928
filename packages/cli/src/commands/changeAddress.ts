/**
 * `myna card change-address`: 記載事項変更 at the municipal counter (seed 004).
 * After a move or a change of name the card's 4 info are rewritten, the 署名用
 * certificate (which carries them) is replaced by a new one for a new key made
 * on the card, and the old one is revoked with reason `info-change`; the 利用者
 * 証明用 certificate carries no 4 info and stays.
 *
 * The steps, in the order that keeps a pulled card whole:
 * 1. The holder confirmed by the card (券面事項確認AP internal authentication with
 *    照合番号B, as for a PIN reset); its face read (photo, birth date, sex, expiry).
 * 2. The holder's 券面事項入力補助用暗証番号: the old 4 info and the My Number's
 *    hash (the counter never reads the My Number); the holder's 署名用 password:
 *    the card's current sign certificate, the one to revoke.
 * 3. The issuer SD's channel (wrong issuer keys stop here: nothing issued, nothing
 *    written), the card's new key pair, its certificate from the JPKI issuer, then
 *    key, certificate and the 3 券面 EFs in ONE issuer commit: a card pulled before
 *    its last APDU is wholly old and its old certificate still valid (the new
 *    certificate issued for it is on no card and signs nothing).
 * 4. Only then the old sign certificate revoked, and the loader told
 *    (POST /v1/cards/:cardId/info-changes: card_info_change notices to the
 *    providers whose card APs are on the card), what changed, never the values.
 *
 * Secrets never on the command line: the security code, the text PIN and the
 * sign password from MYNA_SECURITY_CODE, MYNA_TEXT_PIN, MYNA_SIGN_PASSWORD, or
 * with --secrets-stdin one line each in that order.
 */
import { readFileSync } from 'node:fs';
import { X509Certificate, type KeyObject } from 'node:crypto';
import {
  TEST_ISSUER_MASTER_KEYS,
  isTestIssuerMasterKeys,
  type IssuerMasterKeys,
} from '@myna-ap/apdu';
import {
  MynaClient,
  authenticateCard,
  openIssuerSession,
  pinBOf,
  readCardExpiry,
  readCardFace,
  readCardIdentity,
  replaceSignCertificate,
  type BasicInfo,
  type CardFaceContents,
} from '@myna-ap/access';
import {
  basicInfoEf,
  defaultCardIssuerDir,
  openOrCreateCardIssuer,
  saveCardFile,
  textSignatureEfOverHash,
  visualEntriesEf,
  type Card,
  type CardIssuer,
} from '@myna-ap/card';
import { JpkiIssuer, PkiError, defaultPkiDir, normalizeSerial } from '@myna-ap/pki';
import { InProcessChannel, type CardChannel } from '@myna-ap/transport';
import { CliError, type CliCommand } from '../command.ts';
import { t } from '../i18n.ts';
import { cardSourceOptions, openCardSource } from './read.ts';
import { asCliError } from './readers.ts';
import { SERVER_OPTIONS, api, terminalOf } from './serve.ts';
import { issuerKeysFrom } from './pinReset.ts';

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** What the holder gives at the counter (never flags). */
export interface HolderSecrets {
  readonly securityCode: string;
  readonly textPin: string;
  readonly signPassword: string;
}

const SECRETS = [
  ['securityCode', 'MYNA_SECURITY_CODE', { en: 'security code', ja: 'セキュリティコード' }],
  ['textPin', 'MYNA_TEXT_PIN', { en: 'text AP PIN', ja: '券面事項入力補助用暗証番号' }],
  ['signPassword', 'MYNA_SIGN_PASSWORD', { en: 'sign password', ja: '署名用電子証明書暗証番号' }],
] as const;

/** The holder's secrets from their environment variables, or stdin (one a line, in order). */
export function changeSecrets(o: {
  readonly stdin: boolean;
  readonly read?: () => string;
}): HolderSecrets {
  const lines = o.stdin ? (o.read ?? (() => readFileSync(0, 'utf8')))().split(/\r?\n/) : [];
  const out: Partial<Record<keyof HolderSecrets, string>> = {};
  SECRETS.forEach(([key, env, what], i) => {
    const v = o.stdin ? lines[i] : process.env[env];
    if (v === undefined || v === '') {
      throw new CliError(
        o.stdin
          ? {
              en: `no ${what.en} on stdin (line ${i + 1})`,
              ja: `標準入力の${i + 1}行目に${what.ja}がありません`,
            }
          : {
              en: `the ${what.en} is given in ${env} or on stdin with --secrets-stdin (never as a flag: ps shows flags)`,
              ja: `${what.ja}は ${env} または --secrets-stdin（標準入力）で入力します（引数では渡しません）`,
            },
        2,
      );
    }
    out[key] = v;
  });
  return out as HolderSecrets;
}

/** Which of name and address differ (the seeds' 記載事項変更 of 氏名・住所). */
export function changedFields(old: BasicInfo, next: BasicInfo): ('name' | 'address')[] {
  return (['name', 'address'] as const).filter((k) => old[k] !== next[k]);
}

export interface AddressChange {
  readonly cardId: string;
  readonly changed: readonly ('name' | 'address')[];
  readonly oldSignSerial: string;
  readonly newSignSerial: string;
  readonly usesTestKeys: boolean;
  readonly cardKeyId: string;
}

/**
 * The card side of 記載事項変更 (steps 1–4 but the loader, see the module
 * comment). Refusals before the commit change nothing on the card; `onConfirmed`
 * runs after the holder is confirmed and before the card is written.
 */
export async function changeCardInfo(
  channel: CardChannel,
  o: {
    readonly birth: string;
    readonly expiry?: string;
    readonly name?: string;
    readonly address?: string;
    readonly secrets: HolderSecrets;
    readonly masters: IssuerMasterKeys;
    readonly cardIssuer: CardIssuer;
    /** The card issuer's published certificate or key, to confirm the card. */
    readonly issuerKey: Uint8Array | KeyObject;
    readonly jpki: JpkiIssuer;
    readonly onConfirmed?: (cardId: string, cardKeyId: string) => Promise<void>;
  },
): Promise<AddressChange> {
  // One session for every step: it knows what the card has selected.
  const client = new MynaClient(channel);
  const session = client.session;
  const cardId = (await readCardIdentity(session, { municipality: false })).serialHex;
  const expiry = o.expiry ?? (await readCardExpiry(session));
  if (expiry === null) {
    throw new CliError({
      en: "the card's expiry cannot be read: give --expiry from the card face",
      ja: 'カードの有効期限を読み取れません。券面の有効期限を --expiry で指定してください',
    });
  }
  const a = await authenticateCard(session, {
    pinB: pinBOf(o.birth, expiry, o.secrets.securityCode),
    issuer: o.issuerKey,
  });
  const face = await readCardFace(session);
  const old = await client.readBasicInfo(o.secrets.textPin);
  const myNumberHash = await client.readMyNumberHash(o.secrets.textPin);
  const next: BasicInfo = { ...old, name: o.name ?? old.name, address: o.address ?? old.address };
  const changed = changedFields(old, next);
  if (changed.length === 0) {
    throw new CliError(
      {
        en: 'the name and address given are those on the card: nothing to change',
        ja: '指定された氏名・住所はカードの記載と同じです。変更するものがありません',
      },
      2,
    );
  }
  await client.verifyPin('sign', o.secrets.signPassword);
  const oldSignSerial = normalizeSerial(
    new X509Certificate(Buffer.from(await client.readCertificate('sign'))).serialNumber,
  )!;
  // Built and signed before the card is written: a 4 info too long stops here.
  const textBasicInfo = basicInfoEf(next);
  const contents: CardFaceContents = {
    textBasicInfo,
    textSignature: textSignatureEfOverHash(myNumberHash, textBasicInfo, o.cardIssuer),
    visualEntries: visualEntriesEf(
      {
        ...next,
        expiry: face.expiry,
        securityCode: o.secrets.securityCode,
        face: face.photo,
      },
      o.cardIssuer,
    ),
  };
  const s = await openIssuerSession(session, o.masters);
  await o.onConfirmed?.(cardId, a.cardKeyId);
  let newSignSerial = '';
  await replaceSignCertificate(
    s,
    async (signPublicKey) => {
      const { sign } = await o.jpki.issueSignCertificate({
        signPublicKey,
        holder: next,
        cardId,
        replaces: oldSignSerial,
      });
      newSignSerial = normalizeSerial(new X509Certificate(Buffer.from(sign)).serialNumber)!;
      return sign;
    },
    contents,
  );
  // The card holds the new certificate: the old one may go now, not before.
  await o.jpki.revoke(oldSignSerial, 'info-change');
  return {
    cardId,
    changed,
    oldSignSerial,
    newSignSerial,
    usesTestKeys: s.usesTestKeys,
    cardKeyId: a.cardKeyId,
  };
}

export const changeAddress: CliCommand = {
  path: ['card', 'change-address'],
  summary: {
    en: "記載事項変更 at the counter: rewrite the card's name or address, replace and revoke its sign certificate, tell the loader",
    ja: '記載事項変更: カードの氏名・住所を書き換え、署名用電子証明書を再発行・失効し、搭載システムに通知',
  },
  usage:
    '--birth YYYY-MM-DD (--address NEW | --name NEW) [--expiry YYYY-MM-DD] [--reader N|NAME | --card FILE] [--pki DIR] [--terminal ID] [--issuer-cert FILE] [--issuer-keys FILE.json] [--secrets-stdin] [--server URL]   (MYNA_SECURITY_CODE, MYNA_TEXT_PIN, MYNA_SIGN_PASSWORD, or stdin one a line in that order; never a flag. The operator logged in with myna login)',
  options: {
    ...cardSourceOptions,
    ...SERVER_OPTIONS,
    birth: { type: 'string' },
    expiry: { type: 'string' },
    name: { type: 'string' },
    address: { type: 'string' },
    pki: { type: 'string' },
    terminal: { type: 'string' },
    'issuer-cert': { type: 'string' },
    'issuer-keys': { type: 'string' },
    'secrets-stdin': { type: 'boolean' },
  },
  async run({ values }, io) {
    const birth = str(values.birth);
    const name = str(values.name);
    const address = str(values.address);
    if (birth === undefined || (name === undefined && address === undefined)) {
      throw new CliError(
        {
          en: 'give --birth (from the card face, to confirm the holder) and the new --address or --name',
          ja: '本人確認の生年月日（--birth）と、新しい住所（--address）または氏名（--name）を指定してください',
        },
        2,
      );
    }
    const secrets = changeSecrets({ stdin: values['secrets-stdin'] === true });
    // Logged in, and at which terminal, before the card is touched: the change is told.
    const terminalId = await api(values, (c) => terminalOf(values, c));
    const masters =
      typeof values['issuer-keys'] === 'string'
        ? await issuerKeysFrom(values['issuer-keys'])
        : TEST_ISSUER_MASTER_KEYS;
    if (isTestIssuerMasterKeys(masters)) {
      io.err(
        t({
          en: '⚠ using the published TEST card issuer keys (not secret): for emulated cards only',
          ja: '⚠ 公開テスト用のカード発行者鍵（秘密ではありません）を使います。エミュレートしたカード専用です',
        }),
      );
    }
    const cardIssuer = await openOrCreateCardIssuer(defaultCardIssuerDir());
    const certFile = str(values['issuer-cert']);
    const issuerKey = certFile ? new Uint8Array(readFileSync(certFile)) : cardIssuer.publicKey;
    const pkiDir = str(values.pki) ?? defaultPkiDir();
    const jpki = await JpkiIssuer.open(pkiDir).catch((e: unknown) => {
      throw new CliError({
        en: `JPKI issuer in ${pkiDir}: ${(e as Error).message}`,
        ja: `${pkiDir} のJPKI発行者を開けません: ${(e as Error).message}`,
      });
    });
    const channel = await openCardSource(values);
    const fileCard =
      channel instanceof InProcessChannel ? (channel.card as Card | undefined) : undefined;
    const generation = fileCard?.generation;
    let done: AddressChange;
    try {
      done = await changeCardInfo(channel, {
        birth,
        ...(str(values.expiry) ? { expiry: str(values.expiry)! } : {}),
        ...(name !== undefined ? { name } : {}),
        ...(address !== undefined ? { address } : {}),
        secrets,
        masters,
        cardIssuer,
        issuerKey,
        jpki,
        onConfirmed: async (cardId, keyId) => {
          io.out(
            t({
              en: `holder's card confirmed: genuine card ${keyId}, card ${cardId}; writing the new 4 info and sign certificate`,
              ja: `本人のカードを確認しました: 正規のカード ${keyId}（カード ${cardId}）。新しい基本4情報と署名用電子証明書を書き込みます`,
            }),
          );
        },
      });
    } catch (e) {
      if (e instanceof PkiError) throw new CliError(e.text);
      throw asCliError(e);
    } finally {
      await channel.close();
      await jpki.close();
      if (fileCard && fileCard.generation !== generation && typeof values.card === 'string') {
        await saveCardFile(values.card, fileCard);
      }
    }
    io.out(
      t({
        en: `card ${done.cardId}: ${done.changed.join(' and ')} rewritten; sign certificate ${done.newSignSerial} on the card, ${done.oldSignSerial} revoked (info-change); the auth certificate kept`,
        ja: `カード ${done.cardId}: ${done.changed.map((c) => (c === 'name' ? '氏名' : '住所')).join('・')}を書き換えました。署名用電子証明書 ${done.newSignSerial} を格納し、${done.oldSignSerial} を失効しました（記載事項変更）。利用者証明用電子証明書はそのままです`,
      }),
    );
    try {
      await api(values, (c) =>
        c.call('recordInfoChange', {
          params: { cardId: done.cardId },
          body: {
            terminalId,
            changed: [...done.changed],
            oldSignSerial: done.oldSignSerial,
            newSignSerial: done.newSignSerial,
          },
        }),
      );
    } catch (e) {
      throw new CliError({
        en: `the card is changed, but the loader was not told: ${(e as Error).message} — tell the administrator (card ${done.cardId}, ${done.changed.join(', ')}, sign ${done.oldSignSerial} → ${done.newSignSerial})`,
        ja: `カードは変更済みですが、搭載システムに通知できませんでした: ${(e as Error).message} — 管理者に連絡してください（カード ${done.cardId}、署名用 ${done.oldSignSerial} → ${done.newSignSerial}）`,
      });
    }
    io.out(
      t({
        en: 'the loader told: the providers whose card APs are on this card get a card_info_change notice',
        ja: '搭載システムに通知しました。このカードにカードAPを持つ事業者に card_info_change が届きます',
      }),
    );
    return 0;
  },
};
