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
 *
 * Secrets never on the command line, where `ps` shows them: the security code
 * comes from MYNA_SECURITY_CODE or stdin (`--security-code-stdin`), the new PIN
 * from MYNA_NEW_PIN or stdin (`--new-pin-stdin`); with both, stdin's first line
 * is the security code and its second the new PIN. Each step goes to the
 * loader's audit log (POST /v1/cards/:cardId/pin-resets, the operator logged
 * in with `myna login`): `confirmed` before the card is written — the reset
 * stops when that cannot be recorded — then `reset` or `failed`; which PIN,
 * never the PIN.
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
  readCardIdentity,
  resetHolderPin,
  type HolderPinKind,
} from '@myna-ap/access';
import {
  defaultCardIssuerDir,
  openOrCreateCardIssuer,
  saveCardFile,
  type Card,
} from '@myna-ap/card';
import { InProcessChannel } from '@myna-ap/transport';
import { CliError, type CliCommand } from '../command.ts';
import { t } from '../i18n.ts';
import { cardSourceOptions, openCardSource } from './read.ts';
import { asCliError } from './readers.ts';
import { SERVER_OPTIONS, api, terminalOf } from './serve.ts';

const KINDS = Object.keys(HOLDER_PINS) as HolderPinKind[];

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/**
 * The security code and the new PIN: each from its environment variable, or
 * from stdin when its `-stdin` flag is given — one line each, the security code
 * first. Never a flag.
 */
export function secretsFromHolder(o: {
  readonly securityCodeStdin: boolean;
  readonly newPinStdin: boolean;
  readonly stdin?: () => string;
}): { securityCode: string; newPin: string } {
  const lines =
    o.securityCodeStdin || o.newPinStdin
      ? (o.stdin ?? (() => readFileSync(0, 'utf8')))().split(/\r?\n/)
      : [];
  let next = 0;
  const pick = (
    fromStdin: boolean,
    env: string,
    flag: string,
    what: { en: string; ja: string },
  ): string => {
    if (fromStdin) {
      const line = lines[next++] ?? '';
      if (line === '')
        throw new CliError(
          { en: `no ${what.en} on stdin`, ja: `標準入力に${what.ja}がありません` },
          2,
        );
      return line;
    }
    const v = process.env[env];
    if (v !== undefined && v !== '') return v;
    throw new CliError(
      {
        en: `the ${what.en} is given in ${env} or on stdin with ${flag} (never as a flag: ps shows flags)`,
        ja: `${what.ja}は ${env} または ${flag}（標準入力）で入力します（引数では渡しません。ps で見えるため）`,
      },
      2,
    );
  };
  const securityCode = pick(o.securityCodeStdin, 'MYNA_SECURITY_CODE', '--security-code-stdin', {
    en: 'security code',
    ja: 'セキュリティコード',
  });
  const newPin = pick(o.newPinStdin, 'MYNA_NEW_PIN', '--new-pin-stdin', {
    en: 'new PIN',
    ja: '新しい暗証番号',
  });
  return { securityCode, newPin };
}

/** An error's code for the audit log (`ISSUER_AUTH_FAILED`…), or a generic one. */
function codeOf(e: unknown): string {
  const c = (e as { code?: unknown }).code;
  return typeof c === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(c) ? c : 'CARD_ERROR';
}

/** Issuer master keys from a JSON file `{ "enc": hex, "mac": hex, "dek": hex }` (AES-128). */
export async function issuerKeysFrom(file: string): Promise<IssuerMasterKeys> {
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
    '--which auth|sign|text|juki --birth YYYY-MM-DD [--expiry YYYY-MM-DD] [--reader N|NAME | --card FILE] [--terminal ID] [--issuer-cert FILE] [--issuer-keys FILE.json] [--face-dir DIR] [--security-code-stdin] [--new-pin-stdin] [--server URL]   (security code: MYNA_SECURITY_CODE, new PIN: MYNA_NEW_PIN, or stdin: the security code on the first line, the new PIN on the next; never a flag. Audited in the loader: myna login first)',
  options: {
    ...cardSourceOptions,
    ...SERVER_OPTIONS,
    which: { type: 'string' },
    birth: { type: 'string' },
    expiry: { type: 'string' },
    terminal: { type: 'string' },
    // Refused with a clear message: a flag is seen by every user of `ps`.
    'security-code': { type: 'string' },
    'security-code-stdin': { type: 'boolean' },
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
    if (values['security-code'] !== undefined) {
      throw new CliError(
        {
          en: '--security-code is not taken on the command line (ps shows it to every user): set MYNA_SECURITY_CODE or give it on stdin with --security-code-stdin',
          ja: '--security-code はコマンドラインでは受け付けません（ps で他の利用者に見えます）。MYNA_SECURITY_CODE か --security-code-stdin（標準入力）で入力してください',
        },
        2,
      );
    }
    if (birth === undefined) {
      throw new CliError(
        {
          en: 'confirming the holder needs --birth and the security code from the card face',
          ja: '本人確認には券面の生年月日（--birth）とセキュリティコードが必要です',
        },
        2,
      );
    }
    // The holder's secrets first: a new PIN that breaks the rules stops here, before the card.
    const { securityCode, newPin } = secretsFromHolder({
      securityCodeStdin: values['security-code-stdin'] === true,
      newPinStdin: values['new-pin-stdin'] === true,
    });
    try {
      checkPinFormat(which, newPin, { en: 'new', ja: '新しい' });
    } catch (e) {
      throw asCliError(e);
    }
    // Logged in, and at which terminal, before the card is touched: the reset is audited.
    const terminalId = await api(values, (c) => terminalOf(values, c));
    const audit = (
      cardId: string,
      body: { outcome: 'confirmed' | 'reset' | 'failed'; cardKeyId?: string; error?: string },
    ) =>
      api(values, (c) =>
        c.call('recordPinReset', {
          params: { cardId },
          body: { terminalId, which, ...body },
        }),
      );
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
      // The card's serial names it in the audit log (共通カードAP, which also has the expiry).
      const cardId = (await readCardIdentity(session, { municipality: false })).serialHex;
      const expiry = str(values.expiry) ?? (await readCardExpiry(session));
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
      // Recorded before anything is written: no reset the audit log does not know of.
      await audit(cardId, { outcome: 'confirmed', cardKeyId: a.cardKeyId });
      try {
        const s = await openIssuerSession(session, masters);
        await resetHolderPin(s, which, newPin);
      } catch (e) {
        await audit(cardId, { outcome: 'failed', error: codeOf(e) }).catch((ae: unknown) =>
          io.err(
            t({
              en: `the failure could not be recorded in the audit log: ${(ae as Error).message}`,
              ja: `失敗を監査ログに記録できませんでした: ${(ae as Error).message}`,
            }),
          ),
        );
        throw e;
      }
      const def = HOLDER_PINS[which];
      io.out(
        t({
          en: `${def.what.en} set anew with every try back (the PIN itself is not shown)`,
          ja: `${def.what.ja}を再設定しました（残り回数は初期値に戻りました。暗証番号は表示しません）`,
        }),
      );
      try {
        await audit(cardId, { outcome: 'reset' });
      } catch (e) {
        throw new CliError({
          en: `the PIN is reset on the card, but the loader did not record it: ${(e as Error).message} — tell the administrator (the audit log has the confirmed step)`,
          ja: `カードの暗証番号は再設定されましたが、搭載システムに記録できませんでした: ${(e as Error).message} — 管理者に連絡してください（確認済みの記録は監査ログにあります）`,
        });
      }
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
