/**
 * カード障害切り分け (seeds/002 III-1 (4)): what is wrong with this card, in plain
 * Japanese and English, and what the operator should do next. Each part is
 * checked on its own, so one broken part does not hide the others: readable or
 * not, each fixed AP present, PIN tries left (empty VERIFY: no try spent),
 * free-area usage, the card APs on the card against what the database expects,
 * the certificate's status. Diagnosing also settles any cut-short load or delete
 * (it is a contact with the card). Other providers' card APs are counted, never
 * named: which services a holder uses is theirs to know.
 */
import { X509Certificate } from 'node:crypto';
import {
  aidLabel,
  getCapacityCommand,
  parseCapacity,
  sendPlain,
  SW,
  type AreaName,
  type Transmit,
} from '@myna-ap/apdu';
import { TransportError } from '@myna-ap/transport';
import {
  CardSession,
  readAuthCertificate,
  readCardExpiry,
  readPinTriesLeft,
  selectApplication,
} from '@myna-ap/access';
import { AID, FIXED_PINS, type FixedApName } from '@myna-ap/profile';
import { LoaderError, type Text } from '../errors.ts';
import { statusJa } from '../domain/cardStatus.ts';
import type { TerminalId } from '../domain/ids.ts';
import { authorize, type Ctx, type Session } from '../store/context.ts';
import { cardStatus, liveInstances } from '../store/instances.ts';
import { cardApsOf, openArea } from './areaSession.ts';
import { readIdentity, viaAccess, type CardIdentity } from './cardAccess.ts';
import { recoverCard, type Recovered } from './recover.ts';

export interface DiagnoseRequest {
  readonly terminalId: TerminalId;
}

export type Level = 'ok' | 'warning' | 'error';

export interface Finding {
  readonly level: Level;
  readonly code: string;
  readonly text: Text;
}

export interface AreaReport {
  readonly area: AreaName;
  readonly total: number | null;
  readonly used: number | null;
  readonly free: number | null;
  /** Card APs of your provider on the card. */
  readonly yours: readonly { aid: string; type: string; size: number; recorded: boolean }[];
  /**
   * Card APs of other providers: how many (never whose). When the area's channel
   * does not open, whose they are cannot be told: every card AP counts here.
   */
  readonly others: number;
  readonly error?: Text | undefined;
}

export interface DiagnoseReport {
  readonly readable: boolean;
  readonly cardId: string | null;
  readonly municipalityCode: string | null;
  readonly expiry: string | null;
  /** Status recorded for the card (lost, suspended, revoked come from the status feed). */
  readonly status: string | null;
  readonly apps: readonly { name: string; label: Text; present: boolean | null }[];
  readonly pins: readonly { name: string; label: Text; triesLeft: number | null }[];
  readonly areas: readonly AreaReport[];
  /** Your provider's instances the database says are on the card but are not. */
  readonly missing: readonly {
    instanceId: string;
    cardApId: string;
    aid: string;
    area: AreaName;
  }[];
  readonly recovered: readonly Recovered[];
  readonly certificate: {
    readonly status: string;
    readonly notAfter?: string | undefined;
    readonly detail?: string | undefined;
  };
  readonly findings: readonly Finding[];
  /** What to do next, most important first. */
  readonly advice: readonly Text[];
}

const APPS: readonly { name: FixedApName; label: Text }[] = [
  { name: 'jpki', label: { en: 'JPKI AP', ja: '公的個人認証AP' } },
  { name: 'text', label: { en: 'text AP', ja: '券面事項入力補助AP' } },
  { name: 'visual', label: { en: 'visual AP', ja: '券面事項確認AP' } },
  { name: 'juki', label: { en: 'juki AP', ja: '住基AP' } },
  { name: 'common', label: { en: 'common AP', ja: '共通カードAP' } },
];

const AREA_LABEL: Readonly<Record<AreaName, Text>> = {
  local: { en: 'local residents area', ja: '地域住民向け領域' },
  extended: { en: 'extended use area', ja: '拡張利用領域' },
};

function textOf(e: unknown): Text {
  if (e instanceof LoaderError) return e.text;
  return { en: (e as Error).message, ja: (e as Error).message };
}

/** A check that fails on its own; a lost card or terminal still ends the whole diagnosis. */
async function part<T>(
  f: () => Promise<T>,
): Promise<{ ok: true; v: T } | { ok: false; e: unknown }> {
  try {
    return { ok: true, v: await f() };
  } catch (e) {
    if (e instanceof TransportError) throw e;
    return { ok: false, e };
  }
}

export async function diagnose(
  ctx: Ctx,
  s: Session,
  t: Transmit,
  req: DiagnoseRequest,
): Promise<DiagnoseReport> {
  authorize(s, 'card.diagnose', { providerId: s.providerId, terminalId: req.terminalId });
  const findings: Finding[] = [];
  const advice: Text[] = [];
  const find = (level: Level, code: string, en: string, ja: string) =>
    findings.push({ level, code, text: { en, ja } });

  const id = await part(() => readIdentity(t, true));
  if (!id.ok) {
    const why = textOf(id.e);
    if (id.e instanceof LoaderError && id.e.code === 'NOT_MYNA_CARD') {
      // It answers, but it is another card (a bank card, a transit card…): nothing to repair.
      find('error', 'NOT_MYNA_CARD', why.en, why.ja);
      advice.push({
        en: 'This card is not a My Number Card (no 共通カードAP, or no serial): ask the holder for the My Number Card and place it alone on the reader.',
        ja: 'このカードはマイナンバーカードではありません（共通カードAPまたはカード識別番号がありません）。マイナンバーカードを1枚だけリーダに置いてください。',
      });
    } else {
      find(
        'error',
        'UNREADABLE',
        `the card could not be identified: ${why.en}`,
        `カードを識別できません: ${why.ja}`,
      );
      advice.push({
        en: 'Wipe the card’s contacts, place it again (flat on the reader, one card only), or try another reader; if it still fails, the card may be broken: the holder asks the municipality to reissue it.',
        ja: 'カードの接点を拭き、リーダに1枚だけ平らに置き直すか、別のリーダで試してください。それでも読めない場合はカードの故障が考えられます。市区町村で再交付の手続きをご案内ください。',
      });
    }
    return {
      readable: false,
      cardId: null,
      municipalityCode: null,
      expiry: null,
      status: null,
      apps: [],
      pins: [],
      areas: [],
      missing: [],
      recovered: [],
      certificate: { status: 'not_checked' },
      findings,
      advice,
    };
  }
  const card: CardIdentity = id.v;
  const cardLink = new CardSession({ transmit: t });
  const expiry = (await part(() => viaAccess(() => readCardExpiry(cardLink)))) as
    { ok: true; v: string | null } | { ok: false };
  const status = await cardStatus(ctx.db, card.cardId);
  if (status && status !== 'active') {
    find(
      'error',
      'CARD_NOT_ACTIVE',
      `the card is recorded as ${status}`,
      `このカードは「${statusJa(status)}」として記録されています`,
    );
    advice.push(
      status === 'revoked'
        ? {
            en: 'Do not load onto this card: it is revoked, for good. The holder uses the new card the municipality issues.',
            ja: 'このカードには搭載しないでください（失効済み）。市区町村で交付される新しいカードをご利用いただくようご案内ください。',
          }
        : {
            en: `Do not load onto this card: it is reported ${status}. If the holder has found it, the holder asks the municipality (or the My Number Card call center) to lift the ${status === 'lost' ? 'loss report' : 'suspension'}; then try again.`,
            ja: `このカードには搭載しないでください（${statusJa(status)}）。カードが見つかった場合は、本人から市区町村（またはマイナンバーカードコールセンター）へ${status === 'lost' ? '紛失届' : '一時停止'}の解除を依頼するようご案内ください。解除後にやり直してください。`,
          },
    );
  }
  const exp = expiry.ok ? expiry.v : null;
  // The card is valid through its expiry date, in Japan (its last day ends at 24:00 JST).
  if (exp && exp < japanDate(ctx.now())) {
    find(
      'error',
      'CARD_EXPIRED',
      `the card expired on ${exp}`,
      `カードの有効期限（${exp}）が切れています`,
    );
    advice.push({
      en: 'The card has expired: the holder renews it at the municipality.',
      ja: 'カードの有効期限切れです。市区町村での更新をご案内ください。',
    });
  }

  // Recovery first: it is a contact with the card like any other.
  const rec = await part(() => recoverCard(ctx, s.operatorId, t, card, s.providerId));
  const recovered = rec.ok ? rec.v : [];
  if (!rec.ok)
    find(
      'warning',
      'RECOVERY_FAILED',
      `cut-short operations could not be settled: ${textOf(rec.e).en}`,
      `中断した処理を整合できませんでした: ${textOf(rec.e).ja}`,
    );
  if (recovered.length > 0) {
    find(
      'ok',
      'RECOVERED',
      `${recovered.length} cut-short load(s) or delete(s) settled`,
      `中断していた搭載・削除 ${recovered.length} 件を整合しました`,
    );
  }

  let certificate: DiagnoseReport['certificate'] = { status: 'not_checked' };
  const apps: { name: string; label: Text; present: boolean | null }[] = [];
  const pins: { name: string; label: Text; triesLeft: number | null }[] = [];
  for (const app of APPS) {
    const r = await part(() => viaAccess(() => selectApplication(cardLink, AID[app.name])));
    const present = r.ok ? r.v : null;
    apps.push({ name: app.name, label: app.label, present });
    if (present === false)
      find(
        'error',
        'AP_MISSING',
        `${app.label.en} is not on the card`,
        `${app.label.ja}がありません`,
      );
    if (!present) continue;
    for (const pin of FIXED_PINS.filter((p) => p.ap === app.name)) {
      const left = await part(() => viaAccess(() => readPinTriesLeft(cardLink, pin.ref)));
      const n = left.ok ? (left.v ?? null) : null;
      pins.push({ name: pin.name, label: pin.label, triesLeft: n });
      if (n === 0) {
        find(
          'error',
          'PIN_LOCKED',
          `${pin.label.en} is locked`,
          `${pin.label.ja}がロックされています`,
        );
      }
    }
    if (app.name === 'jpki') {
      // The JPKI AP is selected: read the auth certificate now.
      const cert = await part(() => viaAccess(() => readAuthCertificate(cardLink)));
      certificate = cert.ok
        ? await certificateStatus(ctx, cert.v)
        : { status: 'unreadable', detail: textOf(cert.e).en };
    }
  }
  if (pins.some((p) => p.triesLeft === 0)) {
    advice.push({
      en: 'A PIN is locked: the holder has it reset (暗証番号の初期化) at the municipal counter with an identity check; card APs cannot be loaded while the auth PIN is locked.',
      ja: '暗証番号がロックされています。本人確認のうえ市区町村窓口で暗証番号の初期化を行ってください。利用者証明用暗証番号のロック中はカードAPを搭載できません。',
    });
  }
  if (
    certificate.status !== 'valid' &&
    certificate.status !== 'not_checked' &&
    certificate.status !== 'dates_ok'
  ) {
    const said = CERT_STATUS[certificate.status] ?? {
      en: certificate.status,
      ja: certificate.status,
    };
    find(
      certificate.status === 'unavailable' ? 'warning' : 'error',
      'CERTIFICATE',
      `the auth certificate ${said.en}${certificate.detail ? ` (${certificate.detail})` : ''}`,
      `利用者証明用電子証明書は${said.ja}${certificate.detail ? `（${certificate.detail}）` : ''}`,
    );
    if (certificate.status === 'expired' || certificate.status === 'revoked') {
      advice.push({
        en: 'The electronic certificate is no longer valid: the holder has it reissued at the municipality (card APs are not affected).',
        ja: '電子証明書が有効ではありません。市区町村で電子証明書の再発行をご案内ください（カードAPには影響しません）。',
      });
    }
  }

  // Free areas: capacity in plain (no key needed), the card APs inside the channel.
  const live = await liveInstances(ctx.db, card.cardId);
  const areas: AreaReport[] = [];
  const missing: DiagnoseReport['missing'][number][] = [];
  for (const area of ['local', 'extended'] as const) {
    const label = AREA_LABEL[area];
    const a = await part(async () => {
      const ch = await openArea(t, ctx.keys, area, card);
      const cap = parseCapacity(
        await (async () => {
          const r = await ch.session.send(getCapacityCommand());
          if (r.sw !== SW.OK) throw new Error(`GET DATA answered ${r.sw.toString(16)}`);
          return r.data;
        })(),
      );
      return { cap, list: await cardApsOf(ch) };
    });
    if (!a.ok) {
      // Without our keys the card still tells its capacity in plain.
      const plain = await part(async () => {
        const r = await sendPlain(t, getCapacityCommand());
        return r.sw === SW.OK ? parseCapacity(r.data) : undefined;
      });
      const cap = plain.ok ? plain.v : undefined;
      areas.push({
        area,
        total: cap?.total ?? null,
        used: cap?.used ?? null,
        free: cap?.free ?? null,
        yours: [],
        others: cap?.cardAps ?? 0,
        error: textOf(a.e),
      });
      find(
        'error',
        'AREA_UNREADABLE',
        `${label.en}: ${textOf(a.e).en}`,
        `${label.ja}: ${textOf(a.e).ja}`,
      );
      continue;
    }
    const own = live.filter((i) => i.area === area && i.providerId === s.providerId);
    const yours: AreaReport['yours'][number][] = [];
    let others = 0;
    for (const e of a.v.list) {
      const provider = new TextDecoder().decode(e.providerId);
      if (provider !== s.providerId) {
        others++;
        continue;
      }
      const aid = aidLabel(e.aid);
      const recorded = own.some((i) => i.aid === aid && i.state === 'loaded');
      yours.push({ aid, type: e.type, size: e.size, recorded });
      if (!recorded) {
        find(
          'warning',
          'CARD_AP_UNRECORDED',
          `${label.en}: card AP ${aid} of your provider is on the card but not recorded`,
          `${label.ja}: 貴団体のカードAP ${aid} がカードにありますが、記録がありません`,
        );
      }
    }
    for (const i of own.filter((x) => x.state === 'loaded')) {
      if (!a.v.list.some((e) => aidLabel(e.aid) === i.aid)) {
        missing.push({ instanceId: i.id, cardApId: i.cardApId, aid: i.aid, area });
        find(
          'error',
          'CARD_AP_MISSING',
          `${label.en}: card AP ${i.aid} is recorded as loaded but is not on the card`,
          `${label.ja}: カードAP ${i.aid} は搭載済みと記録されていますが、カードにありません`,
        );
      }
    }
    const { cap } = a.v;
    areas.push({ area, total: cap.total, used: cap.used, free: cap.free, yours, others });
    if (cap.free < 46) {
      find(
        'warning',
        'AREA_FULL',
        `${label.en} is full (${cap.free} bytes left)`,
        `${label.ja}の空き容量がありません（残り ${cap.free} バイト）`,
      );
    }
  }
  if (missing.length > 0) {
    advice.push({
      en: 'Card APs recorded as loaded are missing from the card: load them again with the holder’s consent (a new user ID is issued; register it in the business system).',
      ja: '搭載済みのカードAPがカードにありません。本人の同意を得て再搭載してください（新しい利用者IDが発行されるため、業務システムへの再登録が必要です）。',
    });
  }
  if (findings.some((f) => f.code === 'CARD_AP_UNRECORDED' || f.code === 'AREA_UNREADABLE')) {
    advice.push({
      en: 'The card holds what this system did not record, or refuses its keys: send this report to the platform operator (機構).',
      ja: 'カードの内容が本システムの記録と一致しないか、鍵を受け付けません。この結果を機構（プラットフォーム運用者）に連絡してください。',
    });
  }
  if (findings.every((f) => f.level === 'ok')) {
    advice.push({
      en: 'No fault found: the card is fine. Retry the operation.',
      ja: '異常はありません。操作をやり直してください。',
    });
  }
  return {
    readable: true,
    cardId: card.cardId,
    municipalityCode: card.municipalityCode,
    expiry: exp,
    status,
    apps,
    pins,
    areas,
    missing,
    recovered,
    certificate,
    findings,
    advice,
  };
}

/** YYYY-MM-DD of `d` in Japan (UTC+9, no daylight saving). */
function japanDate(d: Date): string {
  return new Date(d.getTime() + 9 * 3_600_000).toISOString().slice(0, 10);
}

/** Certificate statuses (those of @myna-ap/pki's Validation, and ours) in plain words. */
const CERT_STATUS: Readonly<Record<string, Text>> = {
  revoked: { en: 'is revoked', ja: '失効しています' },
  expired: { en: 'has expired', ja: '有効期限が切れています' },
  'not-yet-valid': { en: 'is not valid yet', ja: 'まだ有効期間が始まっていません' },
  'unknown-issuer': {
    en: 'was not issued by a trusted JPKI CA',
    ja: '信頼する公的個人認証の認証局が発行したものではありません',
  },
  'bad-signature': { en: 'has a bad signature', ja: '署名が正しくありません' },
  unknown: {
    en: 'is unknown to the OCSP responder',
    ja: '失効確認サーバ（OCSP）に登録がありません',
  },
  unavailable: {
    en: 'could not be checked for revocation',
    ja: '失効の確認ができませんでした',
  },
  malformed: { en: 'is not a readable certificate', ja: '証明書として読み取れません' },
  unreadable: { en: 'could not be read from the card', ja: 'カードから読み出せませんでした' },
};

/** RFC 5280 CRLReason codes the JPKI uses, for the report. */
const REVOCATION_REASON: Readonly<Record<number, string>> = {
  0: 'unspecified',
  1: 'keyCompromise (紛失・鍵の危殆化)',
  3: 'affiliationChanged (記載事項変更)',
  4: 'superseded',
  5: 'cessationOfOperation (死亡等)',
  6: 'certificateHold',
};

async function certificateStatus(
  ctx: Ctx,
  der: Uint8Array,
): Promise<DiagnoseReport['certificate']> {
  let notAfter: string | undefined;
  try {
    const c = new X509Certificate(der);
    notAfter = new Date(c.validTo).toISOString();
    const now = ctx.now();
    if (new Date(c.validTo) < now) return { status: 'expired', notAfter };
    if (new Date(c.validFrom) > now) return { status: 'not-yet-valid', notAfter };
  } catch (e) {
    // Not DER we can parse: nothing was checked, so no claim about a signature.
    return { status: 'malformed', detail: (e as Error).message };
  }
  if (!ctx.certificateCheck)
    return {
      status: 'dates_ok',
      notAfter,
      detail: 'revocation not checked: no JPKI trust configured',
    };
  try {
    const v = await ctx.certificateCheck(der);
    let detail: string | undefined;
    if (typeof v.message === 'string') detail = v.message;
    else if (v.status === 'revoked') {
      const at = v.revokedAt instanceof Date ? v.revokedAt.toISOString() : undefined;
      const why =
        typeof v.reason === 'number'
          ? (REVOCATION_REASON[v.reason] ?? `reason ${v.reason}`)
          : undefined;
      detail = [at && `since ${at}`, why].filter(Boolean).join(', ') || undefined;
    }
    return { status: v.status, notAfter, ...(detail ? { detail } : {}) };
  } catch (e) {
    return { status: 'unavailable', notAfter, detail: (e as Error).message };
  }
}
