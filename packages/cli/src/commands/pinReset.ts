/**
 * `myna card pin-reset`: 暗証番号の再設定（ロック解除）at the municipal counter, as
 * seed 004 describes it. The operator first confirms the holder by the card
 * itself: the 券面事項確認AP's internal authentication with 照合番号B (birth date,
 * expiry year and the security code printed on the card) proves the card is the
 * genuine one its face shows, and the operator compares that face (birth date,
 * sex, expiry; the photo and the printed name and address with `--face-dir`) with
 * the holder. Then the holder types the new PIN (an environment variable or stdin,
 * never a flag, never printed) and the card issuer's security domain sets it
 * with every try back, in one commit on the card.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  TEST_ISSUER_MASTER_KEYS,
  fromHex,
  isTestIssuerMasterKeys,
  type IssuerMasterKeys,
} from '@myna-ap/apdu';
import {
  CardSession,
  HOLDER_PINS,
  authenticateCard,
  checkPinFormat,
  openIssuerSession,
  pinBOf,
  readCardExpiry,
  readCardFace,
  resetHolderPin,
  selectApplication,
  type HolderPinKind,
} from '@myna-ap/access';
import {
  defaultCardIssuerDir,
  openOrCreateCardIssuer,
  saveCardFile,
  type Card,
} from '@myna-ap/card';
import { AID } from '@myna-ap/profile';
import { InProcessChannel } from '@myna-ap/transport';
import { CliError, type CliCommand } from '../command.ts';
import { t } from '../i18n.ts';
import { cardSourceOptions, openCardSource } from './read.ts';
import { asCliError } from './readers.ts';

const KINDS = Object.keys(HOLDER_PINS) as HolderPinKind[];

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** The new PIN the holder typed: `MYNA_NEW_PIN`, or the first line of stdin with `--new-pin-stdin`. */
function newPinFromHolder(fromStdin: boolean): string {
  const env = process.env.MYNA_NEW_PIN;
  if (!fromStdin && env !== undefined && env !== '') return env;
  if (!fromStdin) {
    throw new CliError(
      {
        en: 'the holder gives the new PIN in MYNA_NEW_PIN or on stdin with --new-pin-stdin (never as a flag)',
        ja: '新しい暗証番号は本人が MYNA_NEW_PIN または --new-pin-stdin（標準入力）で入力します（引数では渡しません）',
      },
      2,
    );
  }
  const line = readFileSync(0, 'utf8').split(/\r?\n/)[0] ?? '';
  if (line === '')
    throw new CliError(
      { en: 'no new PIN on stdin', ja: '標準入力に新しい暗証番号がありません' },
      2,
    );
  return line;
}

/** Issuer master keys from a JSON file `{ "enc": hex, "mac": hex, "dek": hex }` (AES-128). */
async function issuerKeysFrom(file: string): Promise<IssuerMasterKeys> {
  const bad = (why: string) =>
    new CliError({
      en: `${file}: not issuer master keys (${why}); expected {"enc","mac","dek"} of 32 hex digits each`,
      ja: `${file} は発行者マスター鍵として正しくありません（${why}）。{"enc","mac","dek"} を各32桁の16進数で指定してください`,
    });
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw bad((e as Error).message);
  }
  const o = json as Record<string, unknown>;
  const key = (k: string) => {
    const v = o?.[k];
    if (typeof v !== 'string' || !/^[0-9A-Fa-f]{32}$/.test(v))
      throw bad(`${k} missing or malformed`);
    return fromHex(v);
  };
  return { enc: key('enc'), mac: key('mac'), dek: key('dek') };
}

/** The card issuer's published certificate (EF 0004 layout) from a file, or this machine's issuer key. */
async function issuerKey(file: string | undefined): Promise<Uint8Array | KeyObject> {
  if (file === undefined) {
    return createPublicKey((await openOrCreateCardIssuer(defaultCardIssuerDir())).privateKey);
  }
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    throw new CliError({
      en: `cannot read ${file}: ${(e as Error).message}`,
      ja: `${file} を読めません`,
    });
  }
}

export const pinReset: CliCommand = {
  path: ['card', 'pin-reset'],
  summary: {
    en: "reset a holder's PIN at the counter (ロック解除): confirm the holder by the card, then set the PIN the holder types",
    ja: '暗証番号の再設定（ロック解除）: カードで本人を確認し、本人が入力した暗証番号を設定',
  },
  usage:
    '--which auth|sign|text|juki --birth YYYY-MM-DD [--expiry YYYY-MM-DD] [--security-code NNNN] [--reader N|NAME | --card FILE] [--issuer-cert FILE] [--issuer-keys FILE.json] [--face-dir DIR] [--new-pin-stdin]   (new PIN: MYNA_NEW_PIN; security code: MYNA_SECURITY_CODE)',
  options: {
    ...cardSourceOptions,
    which: { type: 'string' },
    birth: { type: 'string' },
    expiry: { type: 'string' },
    'security-code': { type: 'string' },
    'issuer-cert': { type: 'string' },
    'issuer-keys': { type: 'string' },
    'new-pin-stdin': { type: 'boolean' },
    'face-dir': { type: 'string' },
  },
  async run({ values }, io) {
    const which = str(values.which) as HolderPinKind | undefined;
    if (which === undefined || !KINDS.includes(which)) {
      throw new CliError(
        {
          en: `--which is one of ${KINDS.join(', ')}`,
          ja: `--which は ${KINDS.join('、')} のいずれかです`,
        },
        2,
      );
    }
    const birth = str(values.birth);
    const securityCode = str(values['security-code']) ?? process.env.MYNA_SECURITY_CODE;
    if (birth === undefined || securityCode === undefined) {
      throw new CliError(
        {
          en: 'confirming the holder needs --birth and the security code (--security-code or MYNA_SECURITY_CODE) from the card face',
          ja: '本人確認には券面の生年月日（--birth）とセキュリティコード（--security-code または MYNA_SECURITY_CODE）が必要です',
        },
        2,
      );
    }
    // The holder's new PIN first: one that breaks the rules stops here, before the card.
    const newPin = newPinFromHolder(values['new-pin-stdin'] === true);
    try {
      checkPinFormat(which, newPin, { en: 'new', ja: '新しい' });
    } catch (e) {
      throw asCliError(e);
    }
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
    const issuer = await issuerKey(str(values['issuer-cert']));
    const channel = await openCardSource(values);
    const fileCard =
      channel instanceof InProcessChannel ? (channel.card as Card | undefined) : undefined;
    const generation = fileCard?.generation;
    try {
      const session = new CardSession(channel);
      const expiry =
        str(values.expiry) ??
        ((await selectApplication(session, AID.common)) ? await readCardExpiry(session) : null);
      if (expiry === null) {
        throw new CliError({
          en: "the card's expiry cannot be read: give --expiry from the card face",
          ja: 'カードの有効期限を読み取れません。券面の有効期限を --expiry で指定してください',
        });
      }
      // 本人確認: the card proves it is genuine with the data only its holder's card face shows.
      const a = await authenticateCard(session, {
        pinB: pinBOf(birth, expiry, securityCode),
        issuer,
      });
      io.out(
        t({
          en: `holder's card confirmed: genuine card ${a.cardKeyId} (birth date, expiry, security code match); compare its face with the holder`,
          ja: `本人のカードを確認しました: 正規のカード ${a.cardKeyId}（生年月日・有効期限・セキュリティコードが一致）。券面の顔写真と本人を照合してください`,
        }),
      );
      // The card's own face (券面事項確認AP), for the operator to compare with the holder.
      const face = await readCardFace(session);
      io.out(
        t({
          en: `card face: born ${face.birthDate}, sex ${face.sex}, valid to ${face.expiry}`,
          ja: `券面: 生年月日 ${face.birthDate}・性別 ${face.sex}・有効期限 ${face.expiry}`,
        }),
      );
      const dir = str(values['face-dir']);
      if (dir !== undefined) {
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, 'photo.jp2'), face.photo, { mode: 0o600 });
        await writeFile(join(dir, 'name.png'), face.nameImage, { mode: 0o600 });
        await writeFile(join(dir, 'address.png'), face.addressImage, { mode: 0o600 });
        io.out(
          t({
            en: `photo, name and address images written to ${dir} (photo.jp2, name.png, address.png)`,
            ja: `顔写真・氏名・住所の画像を ${dir} に書き出しました（photo.jp2, name.png, address.png）`,
          }),
        );
      }
      const s = await openIssuerSession(session, masters);
      await resetHolderPin(s, which, newPin);
      const def = HOLDER_PINS[which];
      io.out(
        t({
          en: `${def.what.en} set anew with every try back (the PIN itself is not shown)`,
          ja: `${def.what.ja}を再設定しました（残り回数は初期値に戻りました。暗証番号は表示しません）`,
        }),
      );
      return 0;
    } catch (e) {
      throw asCliError(e);
    } finally {
      await channel.close();
      if (fileCard && fileCard.generation !== generation && typeof values.card === 'string') {
        await saveCardFile(values.card, fileCard);
      }
    }
  },
};
