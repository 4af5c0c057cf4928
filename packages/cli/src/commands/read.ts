/**
 * `myna read`: what a host can read from a My Number Card — from a PC/SC
 * reader (real card, or one put in with `myna card insert`) or straight from a
 * card file. Today: the JPKI AP (token, certificates, PIN tries) and, with the
 * PIN, the 4 basic info. The source options (`--reader`, `--card`) are shared
 * with the card AP reads the loading system adds (`--aid AID`).
 */
import { X509Certificate, createHash } from 'node:crypto';
import { loadCardFile, saveCardFile, CardImageError, type Card } from '@myna-ap/card';
import {
  InProcessChannel,
  PcscChannel,
  chooseReader,
  listReaders,
  type CardChannel,
} from '@myna-ap/transport';
import { readFile } from 'node:fs/promises';
import { parseKeyPackage, toHex, type CardApKeyPackage } from '@myna-ap/apdu';
import { MynaClient, readCardAp, type CardApReading, type CertificateKind } from '@myna-ap/access';
import { readPassword } from './operator.ts';
import { CliError, type CliCommand, type CliIo } from '../command.ts';
import { currentLang, t } from '../i18n.ts';
import { asCliError } from './readers.ts';

/** Where the card is: options every card-reading command accepts. */
export const cardSourceOptions = {
  reader: { type: 'string' },
  card: { type: 'string' },
} as const;

/** Opens the card named by `--card FILE` (in-process) or `--reader N|NAME` (PC/SC, exclusive). */
export async function openCardSource(values: Record<string, unknown>): Promise<CardChannel> {
  if (typeof values.card === 'string') {
    if (values.reader !== undefined) {
      throw new CliError(
        { en: 'give --card or --reader, not both', ja: '--card と --reader はどちらか一方です' },
        2,
      );
    }
    try {
      return new InProcessChannel(await loadCardFile(values.card));
    } catch (e) {
      throw e instanceof CardImageError ? new CliError(e.text) : e;
    }
  }
  try {
    const wanted = typeof values.reader === 'string' ? values.reader : undefined;
    const reader = chooseReader(await listReaders(), wanted);
    // Extended Le only where known to work end to end (vpcd); real readers get short APDUs.
    const extended = reader.name.startsWith('Virtual PCD');
    return await PcscChannel.open({
      reader: reader.name,
      maxResponseLength: extended ? 65535 : 256,
    });
  } catch (e) {
    throw asCliError(e);
  }
}

const CERT_KINDS: readonly CertificateKind[] = ['auth', 'sign', 'authCa', 'signCa'];

function describeCert(der: Uint8Array): string[] {
  const c = new X509Certificate(der);
  const fp = createHash('sha256').update(der).digest('hex').toUpperCase();
  return [
    `  subject:  ${c.subject.replaceAll('\n', ', ')}`,
    `  issuer:   ${c.issuer.replaceAll('\n', ', ')}`,
    `  valid:    ${c.validFrom} — ${c.validTo}`,
    `  sha256:   ${fp.match(/../g)!.join(':')}`,
  ];
}

function pem(der: Uint8Array): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----`;
}

async function readSummary(
  c: MynaClient,
  values: Record<string, unknown>,
  io: CliIo,
): Promise<void> {
  const ja = currentLang() === 'ja';
  const json: Record<string, unknown> = {};
  json.token = await c.readToken();
  const auth = await c.readCertificate('auth');
  json.authCertificate = pem(auth);
  const tries = {
    auth: await c.pinTriesLeft('auth'),
    sign: await c.pinTriesLeft('sign'),
    text: await c.pinTriesLeft('text'),
  };
  json.pinTriesLeft = tries;
  const pin = typeof values.pin === 'string' ? values.pin : undefined;
  const signPassword =
    typeof values['sign-password'] === 'string' ? values['sign-password'] : undefined;
  if (pin !== undefined) json.basicInfo = await c.readBasicInfo(pin);
  let sign: Uint8Array | undefined;
  if (signPassword !== undefined) {
    await c.verifyPin('sign', signPassword);
    sign = await c.readCertificate('sign');
    json.signCertificate = pem(sign);
  }
  if (values.json) {
    io.out(JSON.stringify(json, null, 2));
    return;
  }
  io.out(`${ja ? 'トークン情報' : 'token'}: ${json.token as string}`);
  io.out(ja ? '利用者証明用電子証明書:' : 'auth certificate:');
  for (const l of describeCert(auth)) io.out(l);
  if (sign) {
    io.out(ja ? '署名用電子証明書:' : 'sign certificate:');
    for (const l of describeCert(sign)) io.out(l);
  }
  const left = (n: number) =>
    n === 0 ? (ja ? 'ロック中' : 'LOCKED') : ja ? `残り${n}回` : `${n} tries left`;
  io.out(`${ja ? '利用者証明用暗証番号' : 'auth PIN'}: ${left(tries.auth)}`);
  io.out(`${ja ? '署名用暗証番号' : 'sign password'}: ${left(tries.sign)}`);
  io.out(`${ja ? '券面事項入力補助用暗証番号' : 'text AP PIN'}: ${left(tries.text)}`);
  const info = json.basicInfo as
    { name: string; address: string; birthDate: string; sex: string } | undefined;
  if (info) {
    const sex = {
      '1': ja ? '男' : 'male',
      '2': ja ? '女' : 'female',
      '9': ja ? '適用不能' : 'not applicable',
    }[info.sex];
    io.out(ja ? '基本4情報:' : '4 basic info:');
    io.out(`  ${ja ? '氏名' : 'name'}:    ${info.name}`);
    io.out(`  ${ja ? '住所' : 'address'}: ${info.address}`);
    io.out(`  ${ja ? '生年月日' : 'birth'}:   ${info.birthDate}`);
    io.out(`  ${ja ? '性別' : 'sex'}:     ${sex ?? info.sex}`);
  } else {
    io.out(
      t({
        en: '(add --pin to read the 4 basic info)',
        ja: '（--pin を付けると基本4情報を読みます）',
      }),
    );
  }
}

async function keyPackageFrom(file: string): Promise<CardApKeyPackage> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new CliError({
      en: `cannot read ${file}: ${(e as Error).message}`,
      ja: `${file} を読めません`,
    });
  }
  try {
    return parseKeyPackage(JSON.parse(text));
  } catch (e) {
    throw new CliError({
      en: `${file}: ${(e as Error).message}`,
      ja: `${file} は鍵パッケージとして正しくありません`,
    });
  }
}

function printCardAp(io: CliIo, r: CardApReading): void {
  const ja = currentLang() === 'ja';
  io.out(`${ja ? 'カードAP' : 'card AP'} ${r.aid} (${ja ? 'タイプ' : 'type'} ${r.type})`);
  io.out(`  ${ja ? '利用者ID' : 'user ID'}: ${r.userId}`);
  if (r.items) {
    for (const i of r.items)
      io.out(
        `  ${ja ? '情報' : 'item'} ${i.tag.toString(16).toUpperCase()}: ${toHex(i.value).toUpperCase()}  "${Buffer.from(
          i.value,
        )
          .toString('latin1')
          .replace(/[^\x20-\x7e]/g, '.')}"`,
      );
  }
  if (r.records)
    r.records.forEach((rec, n) =>
      io.out(`  ${ja ? 'レコード' : 'record'} ${n + 2}: ${toHex(rec).toUpperCase()}`),
    );
  if (r.efs)
    for (const e of r.efs)
      io.out(
        `  EF ${e.fid.toString(16).toUpperCase().padStart(4, '0')}: ${toHex(e.data).toUpperCase()}`,
      );
  if (!r.items && !r.records && !r.efs)
    io.out(`  ${ja ? 'データ' : 'data'}: ${toHex(r.data).toUpperCase()}`);
}

export const readCommands: readonly CliCommand[] = [
  {
    path: ['read'],
    summary: {
      en: 'read a My Number Card (reader or card file): JPKI certificates, PIN tries, 4 basic info with --pin',
      ja: 'マイナンバーカードを読む（リーダまたはカードファイル）: JPKI 証明書・暗証番号の残り回数・基本4情報（--pin）',
    },
    usage:
      '[--reader N|NAME | --card FILE] [--pin PIN] [--sign-password PW] [--cert auth|sign|authCa|signCa] [--json]  |  --aid AID [--keys KEY_PACKAGE.json] [--cardap-pin-stdin] (card AP PIN: MYNA_CARDAP_PIN)',
    options: {
      ...cardSourceOptions,
      pin: { type: 'string' },
      'sign-password': { type: 'string' },
      cert: { type: 'string' },
      json: { type: 'boolean' },
      aid: { type: 'string' },
      keys: { type: 'string' },
      'cardap-pin-stdin': { type: 'boolean' },
    },
    async run({ values }, io) {
      const cert = values.cert;
      if (cert !== undefined && !CERT_KINDS.includes(cert as CertificateKind)) {
        throw new CliError(
          {
            en: `--cert must be one of ${CERT_KINDS.join(', ')}`,
            ja: `--cert は ${CERT_KINDS.join('、')} のいずれかです`,
          },
          2,
        );
      }
      const aid = typeof values.aid === 'string' ? values.aid.replace(/[\s:]/g, '') : undefined;
      if (aid !== undefined && !/^([0-9A-Fa-f]{2}){5,16}$/.test(aid)) {
        throw new CliError(
          { en: '--aid is 5 to 16 bytes in hex', ja: '--aid は5〜16バイトの16進数です' },
          2,
        );
      }
      const keyPackage =
        typeof values.keys === 'string' ? await keyPackageFrom(values.keys) : undefined;
      const wantsPin =
        values['cardap-pin-stdin'] === true || process.env.MYNA_CARDAP_PIN !== undefined;
      const cardApPin = wantsPin
        ? readPassword('MYNA_CARDAP_PIN', values['cardap-pin-stdin'] === true)
        : undefined;
      const channel = await openCardSource(values);
      // A card file is the card: a wrong PIN tried here stays counted in it.
      const fileCard =
        channel instanceof InProcessChannel ? (channel.card as Card | undefined) : undefined;
      const generation = fileCard?.generation;
      try {
        if (aid !== undefined) {
          // A card AP (free areas): the access module, as a business system reads it.
          const r = await readCardAp(channel, { aid, keyPackage, pin: cardApPin });
          if (values.json) {
            io.out(
              JSON.stringify(
                {
                  ...r,
                  data: toHex(r.data).toUpperCase(),
                  items: r.items?.map((i) => ({
                    tag: i.tag.toString(16).toUpperCase(),
                    value: toHex(i.value).toUpperCase(),
                  })),
                  records: r.records?.map((x) => toHex(x).toUpperCase()),
                  efs: r.efs?.map((e) => ({ fid: e.fid, data: toHex(e.data).toUpperCase() })),
                },
                null,
                2,
              ),
            );
          } else printCardAp(io, r);
          return 0;
        }
        const c = new MynaClient(channel);
        if (cert !== undefined) {
          if (cert === 'sign') {
            const pw = values['sign-password'];
            if (typeof pw !== 'string') {
              throw new CliError({
                en: 'the sign certificate needs --sign-password',
                ja: '署名用電子証明書を読むには --sign-password が必要です',
              });
            }
            await c.verifyPin('sign', pw);
          }
          io.out(pem(await c.readCertificate(cert as CertificateKind)));
          return 0;
        }
        await readSummary(c, values, io);
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
  },
];
