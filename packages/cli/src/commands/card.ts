/**
 * `myna card create|show|cert|pin-reset|change-address`: make a card file, look inside one, print its
 * JPKI certificates, reset a holder's PIN at the counter. The card file is the card's whole memory (keys included):
 * keep it like a private key.
 */
import { X509Certificate } from 'node:crypto';
import { access } from 'node:fs/promises';
import {
  Card,
  CardImageError,
  CardOptionError,
  AREA_NAMES,
  FIXED_SPECS,
  areaUsage,
  createCard,
  defaultCardIssuerDir,
  fidKey,
  loadCardImage,
  openOrCreateCardIssuer,
  resolveCardOptions,
  saveCardImage,
  type AccessRule,
  type CardHolder,
  type CardImage,
  type CardReplaced,
  type CreatedCard,
} from '@myna-ap/card';
import { JpkiIssuer, PkiError, defaultPkiDir } from '@myna-ap/pki';
import { CliError, type CliCommand, type CliIo } from '../command.ts';
import { pinReset } from './pinReset.ts';
import { changeAddress } from './changeAddress.ts';
import { t, type Text } from '../i18n.ts';

/** The test holder a card gets when no option says otherwise. */
export const DEFAULT_HOLDER: CardHolder = {
  name: '番号 花子',
  address: '東京都千代田区千代田1番1号',
  birthDate: '1990-01-01',
  sex: '2',
};

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** The JPKI issuer in `dir`, made there on first use; its errors in both languages. */
async function openIssuer(dir: string): Promise<JpkiIssuer> {
  try {
    return await JpkiIssuer.openOrInit(dir);
  } catch (e) {
    if (e instanceof PkiError) {
      throw new CliError({
        en: `JPKI issuer in ${dir}: ${e.message}`,
        ja: `JPKI 発行者（${dir}）を開けません: ${e.message}`,
      });
    }
    throw e;
  }
}

/** Turns the card package's typed errors into CLI errors with both languages. */
function asCliError(e: unknown): never {
  if (e instanceof CardOptionError || e instanceof CardImageError) throw new CliError(e.text);
  // issuing through the JPKI issuer: a PKCS#11 token without its PIN, say
  if (e instanceof PkiError) {
    throw new CliError({
      en: `JPKI issuer: ${e.message}`,
      ja: `JPKI 発行者で証明書を発行できません: ${e.message}`,
    });
  }
  throw e;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export interface MakeCardFileOptions {
  readonly out: string;
  readonly holder: CardHolder;
  readonly myNumber?: string;
  readonly pin?: string;
  readonly signPassword?: string;
  readonly municipality?: string;
  readonly pkiDir?: string;
  readonly force?: boolean;
  /** 更新・再交付: the card file this card replaces (its serial and certificates are linked). */
  readonly replaces?: string;
}

/**
 * The old card of a renewal or reissue, read from its file: its serial (カード識別番号)
 * and its two certificates' serials, which the JPKI issuer links to the new card (新旧紐付け)
 * so that relying parties and the loading system can follow the holder to it.
 */
export async function replacedCard(file: string): Promise<CardReplaced> {
  const img = await loadCardImage(file).catch(asCliError);
  const card = img.common.files['0001'];
  const serialOf = (which: 'auth' | 'sign'): string | undefined => {
    const der = img.jpki.files[which === 'auth' ? '000A' : '0001'];
    if (!der) return undefined;
    try {
      return new X509Certificate(Buffer.from(der, 'hex')).serialNumber;
    } catch {
      return undefined;
    }
  };
  const auth = serialOf('auth');
  const sign = serialOf('sign');
  if (!card || !auth || !sign) {
    throw new CliError({
      en: `${file} is not a card with a serial and both JPKI certificates; a renewal names the card it replaces`,
      ja: `${file} はカード識別番号と JPKI 証明書（利用者証明用・署名用）を持つカードではありません。更新・再交付では置き換える旧カードを指定してください`,
    });
  }
  return { card: card.toUpperCase(), auth, sign };
}

function cardOptions(o: MakeCardFileOptions) {
  return {
    holder: o.holder,
    ...(o.myNumber !== undefined ? { myNumber: o.myNumber } : {}),
    ...(o.pin !== undefined ? { pin: o.pin } : {}),
    ...(o.signPassword !== undefined ? { signPassword: o.signPassword } : {}),
    ...(o.municipality !== undefined ? { municipality: o.municipality } : {}),
  };
}

/** An old card's certificate revoked because a new card replaced it (or found revoked already). */
export interface RetiredCertificate {
  readonly kind: 'auth' | 'sign';
  readonly serial: string;
  readonly reason: string;
  readonly revokedAt: string;
  /** Revoked before this renewal (a loss reported earlier, say): left as it was. */
  readonly already: boolean;
}

/**
 * Revokes the replaced card's two certificates for `replaced` (CRL reason
 * superseded): the old card is void once the new one is issued. One revoked
 * before (a loss reported at the call centre) keeps its own reason.
 */
async function retireOldCertificates(
  issuer: JpkiIssuer,
  old: CardReplaced,
): Promise<RetiredCertificate[]> {
  const out: RetiredCertificate[] = [];
  for (const [kind, serial] of [
    ['auth', old.auth],
    ['sign', old.sign],
  ] as const) {
    const before = issuer.revocation(serial);
    const r = before ?? (await issuer.revoke(serial, 'replaced'));
    out.push({
      kind,
      serial: r.serial,
      reason: r.reason,
      revokedAt: r.revokedAt,
      already: !!before,
    });
  }
  return out;
}

/** Creates a card and writes it to `out` (shared by `card create` and `demo`). */
export async function makeCardFile(
  o: MakeCardFileOptions,
): Promise<CreatedCard & { readonly retired?: readonly RetiredCertificate[] }> {
  if (!o.force && (await exists(o.out))) {
    throw new CliError({
      en: `${o.out} already exists; use --force to replace it`,
      ja: `${o.out} は既に存在します。置き換えるには --force を付けてください`,
    });
  }
  try {
    // Check every option first: a typo should not wait for key generation.
    resolveCardOptions(cardOptions(o));
    const replaces = o.replaces === undefined ? undefined : await replacedCard(o.replaces);
    const [certificates, cardIssuer] = await Promise.all([
      openIssuer(o.pkiDir ?? defaultPkiDir()),
      openOrCreateCardIssuer(defaultCardIssuerDir()),
    ]);
    try {
      const made = await createCard({
        ...cardOptions(o),
        certificates,
        cardIssuer,
        ...(replaces ? { replaces } : {}),
      });
      await saveCardImage(o.out, made.image, { exclusive: !o.force });
      if (!replaces) return made;
      // Only once the new card is written: a failure before leaves the old card valid.
      try {
        return { ...made, retired: await retireOldCertificates(certificates, replaces) };
      } catch (e) {
        const cmds = [replaces.auth, replaces.sign]
          .map((s) => `myna pki revoke --serial ${s} --reason replaced`)
          .join('; ');
        throw new CliError({
          en: `the new card is written to ${o.out}, but the old card's certificates were not all revoked (${(e as Error).message}); finish with: ${cmds}`,
          ja: `新しいカードは ${o.out} に作成しましたが、旧カードの証明書の失効が完了していません（${(e as Error).message}）。次で完了してください: ${cmds}`,
        });
      }
    } finally {
      await certificates.close(); // PKCS#11 sessions, when the issuer's keys are in a token
    }
  } catch (e) {
    return asCliError(e);
  }
}

/** The lines that tell a newcomer what the card holds and how to unlock it (printed once). */
export function describeCreated(out: string, made: CreatedCard, holder: CardHolder): string[] {
  const s = made.secrets;
  const d = (name: string) =>
    made.defaulted.includes(name) ? t({ en: ' (default)', ja: '（既定値）' }) : '';
  return [
    t({ en: `card written to ${out}`, ja: `カードを ${out} に作成しました` }),
    `  ${t({ en: 'name', ja: '氏名' })}: ${holder.name}`,
    `  ${t({ en: 'address', ja: '住所' })}: ${holder.address}`,
    `  ${t({ en: 'birth date', ja: '生年月日' })}: ${holder.birthDate}   ${t({ en: 'sex', ja: '性別' })}: ${holder.sex}`,
    `  ${t({ en: 'My Number (= PIN A)', ja: '個人番号（照合番号A）' })}: ${s.myNumber}${d('myNumber')}`,
    `  ${t({ en: 'PIN (JPKI auth, 券面事項入力補助, 住基)', ja: '暗証番号（利用者証明用・券面事項入力補助用・住基用）' })}: ${s.pin}${d('pin')}`,
    `  ${t({ en: 'sign password', ja: '署名用暗証番号' })}: ${s.signPassword}${d('signPassword')}`,
    `  ${t({ en: 'PIN B', ja: '照合番号B' })}: ${s.pinB}  (${t({ en: 'security code', ja: 'セキュリティコード' })} ${s.securityCode})`,
    `  ${t({ en: '住民票コード', ja: '住民票コード' })}: ${s.residentCode}`,
    ...(made.defaulted.includes('issuerMasterKeys') || made.defaulted.includes('areaMasterKeys')
      ? [
          t({
            en: '  keys: the published TEST issuer and area keys (emulated cards only; anyone can reset its PINs)',
            ja: '  鍵: 公開されているテスト用の発行者鍵・領域鍵です（エミュレータ用。誰でも暗証番号を再設定できます）',
          }),
        ]
      : []),
    t({
      en: 'These values are shown only now; the card file stores the PINs as salted hashes.',
      ja: 'これらの値は今回だけ表示されます。カードファイルには暗証番号がハッシュで保存されます。',
    }),
  ];
}

const create: CliCommand = {
  path: ['card', 'create'],
  summary: {
    en: 'make a new emulated My Number Card file',
    ja: 'エミュレートするマイナンバーカードのファイルを作成',
  },
  usage:
    '--out FILE [--name NAME] [--address ADDR] [--birth YYYY-MM-DD] [--sex 1|2|9] [--my-number 12DIGITS] [--pin 4DIGITS] [--sign-password PASS] [--municipality CODE] [--pki DIR] [--replaces OLD.card] [--force]',
  options: {
    out: { type: 'string' },
    name: { type: 'string' },
    address: { type: 'string' },
    birth: { type: 'string' },
    sex: { type: 'string' },
    'my-number': { type: 'string' },
    pin: { type: 'string' },
    'sign-password': { type: 'string' },
    municipality: { type: 'string' },
    pki: { type: 'string' },
    replaces: { type: 'string' },
    force: { type: 'boolean' },
  },
  async run({ values }, io) {
    const out = str(values.out);
    if (!out)
      throw new CliError({ en: '--out FILE is required', ja: '--out FILE を指定してください' }, 2);
    const sex = str(values.sex) ?? DEFAULT_HOLDER.sex;
    if (sex !== '1' && sex !== '2' && sex !== '9') {
      throw new CliError({
        en: `--sex must be 1 (male), 2 (female) or 9 (not applicable), got "${sex}"`,
        ja: `--sex は 1（男）・2（女）・9（適用不能）のいずれかです（指定値「${sex}」）`,
      });
    }
    const holder: CardHolder = {
      name: str(values.name) ?? DEFAULT_HOLDER.name,
      address: str(values.address) ?? DEFAULT_HOLDER.address,
      birthDate: str(values.birth) ?? DEFAULT_HOLDER.birthDate,
      sex,
    };
    const made = await makeCardFile({
      out,
      holder,
      myNumber: str(values['my-number']),
      pin: str(values.pin),
      signPassword: str(values['sign-password']),
      municipality: str(values.municipality),
      pkiDir: str(values.pki),
      force: values.force === true,
      replaces: str(values.replaces),
    });
    for (const line of describeCreated(out, made, holder)) io.out(line);
    const replaced = str(values.replaces);
    if (replaced) {
      io.out(
        t({
          en: `  replaces ${replaced} (更新・再交付): the JPKI issuer links the old card to this one; carry its card APs over with \`myna carry-over\``,
          ja: `  ${replaced} を置き換えるカードです（更新・再交付）。JPKI 発行者が旧カードと新カードを紐付けました。カードAPの引継ぎは \`myna carry-over\` で行います`,
        }),
      );
      for (const r of made.retired ?? []) {
        const which = t(
          r.kind === 'auth'
            ? { en: 'auth certificate', ja: '利用者証明用証明書' }
            : { en: 'sign certificate', ja: '署名用証明書' },
        );
        io.out(
          r.already
            ? t({
                en: `  old ${which} ${r.serial}: already revoked (${r.reason}, ${r.revokedAt})`,
                ja: `  旧カードの${which} ${r.serial}: 失効済み（${r.reason}、${r.revokedAt}）`,
              })
            : t({
                en: `  old ${which} ${r.serial}: revoked (replaced — CRL reason superseded)`,
                ja: `  旧カードの${which} ${r.serial}: 失効しました（更新・再交付、CRL理由 superseded）`,
              }),
        );
      }
    }
    return 0;
  },
};

function accessText(rule: AccessRule, pinLabel: (fid: number) => string): Text {
  switch (rule.kind) {
    case 'always':
      return { en: 'free', ja: '常時可' };
    case 'never':
      return { en: 'never', ja: '不可' };
    case 'pin': {
      const names = rule.anyOf.map(pinLabel).join(' | ');
      return { en: `after ${names}`, ja: `${names} 照合後` };
    }
  }
}

/** A plain description of a card image for `card show` (no PIN values, no EF contents). */
export function cardSummary(img: CardImage) {
  return {
    format: img.format,
    version: img.version,
    createdAt: img.createdAt,
    applications: FIXED_SPECS.map((spec) => {
      const section = img[spec.section];
      return {
        label: spec.label,
        aid: Buffer.from(spec.aid).toString('hex').toUpperCase(),
        efs: spec.efs.map((ef) => ({
          fid: fidKey(ef.fid),
          label: ef.label,
          kind: ef.kind,
          size: (section.files[fidKey(ef.fid)]?.length ?? 0) / 2,
          access: ef.access,
        })),
        pins: spec.pins.map((p) => {
          const pin = section.pins[fidKey(p.fid)];
          return {
            fid: fidKey(p.fid),
            label: p.label,
            triesLeft: pin?.triesLeft ?? 0,
            maxTries: pin?.maxTries ?? p.maxTries,
            locked: (pin?.triesLeft ?? 0) === 0,
          };
        }),
      };
    }),
    // Usage and card APs only: the area keys and user IDs stay in the file.
    freeAreas: Object.fromEntries(
      AREA_NAMES.map((name) => {
        const area = img.freeAreas[name];
        return [
          name,
          {
            aid: area.aid.toUpperCase(),
            ...areaUsage(area),
            cardApList: area.cardAps.map((ap) => ({
              aid: ap.aid.toUpperCase(),
              type: ap.type,
              size: ap.size,
              providerId: ap.providerId,
              pinTriesLeft: ap.pin?.triesLeft,
            })),
          },
        ];
      }),
    ),
  };
}

const show: CliCommand = {
  path: ['card', 'show'],
  summary: {
    en: 'show the applications, files and PIN tries of a card file',
    ja: 'カードファイルのAP・EF・暗証番号の残り回数を表示',
  },
  usage: 'FILE [--json]',
  options: { json: { type: 'boolean' } },
  positionals: true,
  async run({ values, positionals }, io) {
    const file = positionals[0];
    if (!file || positionals.length > 1) {
      throw new CliError(
        { en: 'give exactly one card FILE', ja: 'カードファイルを1つ指定してください' },
        2,
      );
    }
    const img = await loadCardImage(file).catch(asCliError);
    try {
      Card.fromImage(img); // every applet can be built from it
    } catch (e) {
      asCliError(e);
    }
    const summary = cardSummary(img);
    if (values.json === true) {
      io.out(JSON.stringify(summary, null, 2));
      return 0;
    }
    printTree(summary, img, io);
    return 0;
  },
};

/** Terminal columns of `s`: East Asian wide characters take two. */
function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s)
    w +=
      /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(
        ch,
      )
        ? 2
        : 1;
  return w;
}

function pad(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - displayWidth(s)));
}

function printTree(summary: ReturnType<typeof cardSummary>, img: CardImage, io: CliIo): void {
  io.out(
    `${t({ en: 'card', ja: 'カード' })} ${summary.format} v${summary.version}, ${t({ en: 'made', ja: '作成' })} ${summary.createdAt}`,
  );
  const serial = img.common.files['0001'];
  const muni = img.common.files['0002'];
  const expiry = img.common.files['0003'];
  if (serial) io.out(`  ${t({ en: 'serial', ja: 'カード識別番号' })}: ${serial.toUpperCase()}`);
  if (muni)
    io.out(
      `  ${t({ en: 'municipality', ja: '市区町村コード' })}: ${Buffer.from(muni, 'hex').toString('latin1')}`,
    );
  if (expiry)
    io.out(
      `  ${t({ en: 'expiry', ja: '有効期限' })}: ${Buffer.from(expiry, 'hex').toString('latin1')}`,
    );
  summary.applications.forEach((ap, i) => {
    const last = i === summary.applications.length - 1;
    io.out(`${last ? '└─' : '├─'} ${ap.label}  AID ${ap.aid}`);
    const bar = last ? '   ' : '│  ';
    const pinLabel = (fid: number) => `PIN ${fidKey(fid)}`;
    for (const ef of ap.efs) {
      const kind = ef.kind === 'key' ? t({ en: 'key', ja: '鍵' }) : `${ef.size} B`;
      io.out(
        `${bar}  EF ${ef.fid}  ${pad(kind, 7)} ${pad(t(accessText(ef.access, pinLabel)), 24)} ${ef.label}`,
      );
    }
    for (const p of ap.pins) {
      const state = p.locked
        ? t({ en: 'LOCKED', ja: 'ロック中' })
        : t({
            en: `${p.triesLeft}/${p.maxTries} tries left`,
            ja: `残り ${p.triesLeft}/${p.maxTries} 回`,
          });
      io.out(`${bar}  PIN ${p.fid} ${pad(state, 32)} ${p.label}`);
    }
  });
  const areaLabel: Record<string, Text> = {
    local: { en: 'local-resident area (地域住民向け領域)', ja: '地域住民向け領域' },
    extended: { en: 'extended-use area (拡張利用領域)', ja: '拡張利用領域' },
  };
  for (const [name, area] of Object.entries(summary.freeAreas)) {
    io.out(
      `${t(areaLabel[name] ?? { en: name, ja: name })}  AID ${area.aid}: ` +
        t({
          en: `${area.used} of ${area.total} bytes used, ${area.free} free, ${area.cardAps} card AP(s)`,
          ja: `${area.total} バイト中 ${area.used} バイト使用、空き ${area.free} バイト、カードAP ${area.cardAps} 件`,
        }),
    );
    for (const ap of area.cardApList) {
      const pin =
        ap.pinTriesLeft === undefined
          ? ''
          : `  PIN ${ap.pinTriesLeft === 0 ? t({ en: 'LOCKED', ja: 'ロック中' }) : ap.pinTriesLeft}`;
      io.out(
        `   ${ap.aid}  ${t({ en: 'type', ja: 'タイプ' })} ${ap.type}  ${ap.size} B  ${t({ en: 'provider', ja: '提供者' })} ${ap.providerId}${pin}`,
      );
    }
  }
}

const cert: CliCommand = {
  path: ['card', 'cert'],
  summary: {
    en: 'print a JPKI certificate of a card file as PEM',
    ja: 'カードファイルの JPKI 証明書を PEM で出力',
  },
  usage: 'FILE auth|sign',
  options: {},
  positionals: true,
  async run({ positionals }, io) {
    const [file, which, ...rest] = positionals;
    if (!file || (which !== 'auth' && which !== 'sign') || rest.length > 0) {
      throw new CliError(
        { en: 'usage: myna card cert FILE auth|sign', ja: '使い方: myna card cert FILE auth|sign' },
        2,
      );
    }
    const img = await loadCardImage(file).catch(asCliError);
    const der = img.jpki.files[which === 'auth' ? '000A' : '0001'];
    if (!der) {
      throw new CliError({
        en: `the card has no ${which} certificate`,
        ja: `カードに${which === 'auth' ? '利用者証明用' : '署名用'}証明書がありません`,
      });
    }
    let pem: string;
    try {
      pem = new X509Certificate(Buffer.from(der, 'hex')).toString();
    } catch (e) {
      throw new CliError({
        en: `the ${which} certificate on the card is not a valid X.509 certificate: ${(e as Error).message}`,
        ja: `カードの証明書が X.509 として不正です: ${(e as Error).message}`,
      });
    }
    io.out(pem.trimEnd());
    return 0;
  },
};

export const cardCommands: readonly CliCommand[] = [create, show, cert, pinReset, changeAddress];
