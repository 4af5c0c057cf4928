/**
 * `myna load | delete | diagnose | move-in | pin-reset | carry-over`: card operations at a terminal. The
 * card is an emulated card file (`--card FILE`, in this process; written back
 * after the operation) or a card in a PC/SC reader (`--reader N|NAME`). The
 * server holds the keys and runs the operation; this command only relays the
 * APDUs between the server and the card (a card job, `POST /v1/jobs`).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadCardFile, saveCardFile, CardImageError, type Card } from '@myna-ap/card';
import { InProcessChannel, type CardChannel } from '@myna-ap/transport';
import {
  ApiError,
  jobResult,
  relayJob,
  type ApiClient,
  type JobReply,
} from '@myna-ap/loader/client';
import {
  areaSchema,
  consentMethodSchema,
  type DiagnoseResult,
  type JobBody,
  type LoadResult,
} from '@myna-ap/loader/contract';
import { CliError, type CliCommand, type CliIo } from '../command.ts';
import { currentLang, t, type Text } from '../i18n.ts';
import { SERVER_OPTIONS, api, need, str, strs, terminalOf } from './serve.ts';
import { openCardSource } from './read.ts';
import { asCliError } from './readers.ts';
import { readPassword } from './operator.ts';

const CARD_OPTIONS = {
  card: { type: 'string', multiple: true },
  reader: { type: 'string' },
  terminal: { type: 'string' },
} as const;

const AREA_TEXT: Readonly<Record<string, Text>> = {
  local: { en: 'local area', ja: '地域住民向け領域' },
  extended: { en: 'extended area', ja: '拡張利用領域' },
};

type Values = Record<string, unknown>;

/** A card for one operation: opened, used, and (for a card file) saved back if it changed. */
interface CardSlot {
  readonly label: string;
  readonly channel: CardChannel;
  done(): Promise<void>;
}

async function openFileCard(path: string): Promise<CardSlot> {
  let card: Card;
  try {
    card = await loadCardFile(path);
  } catch (e) {
    if (!(e instanceof CardImageError)) throw e;
    // Missing or unreadable says so itself; anything else: say which file is no card.
    if (e.code === 'CARD_FILE_NOT_FOUND' || e.code === 'CARD_FILE_UNREADABLE') {
      throw new CliError(e.text);
    }
    throw new CliError({
      en: `${path} is not a card file: ${e.text.en}`,
      ja: `${path} はカードファイルではありません: ${e.text.ja}`,
    });
  }
  const before = card.generation;
  const channel = new InProcessChannel(card);
  return {
    label: path,
    channel,
    // Whatever the card holds now is the card: saved even after an interruption.
    async done() {
      await channel.close();
      if (card.generation !== before) await saveCardFile(path, card);
    },
  };
}

async function openReaderCard(values: Values): Promise<CardSlot> {
  const channel = await openCardSource({ reader: values.reader });
  return {
    label: `reader ${String(values.reader ?? '')}`.trim(),
    channel,
    done: () => channel.close(),
  };
}

function jobFailure(j: JobReply): CliError {
  const e = j.error ?? {
    code: 'FAILED',
    message: { en: 'the operation failed', ja: '処理に失敗しました' },
  };
  return new CliError({ en: `${e.message.en} [${e.code}]`, ja: `${e.message.ja} [${e.code}]` });
}

/** Runs one job on one card; the card is released (and saved) whatever happens. */
async function runJob(c: ApiClient, slot: CardSlot, body: JobBody): Promise<JobReply> {
  try {
    return await relayJob(c, (apdu) => slot.channel.transmit(apdu), body);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'SERVER_UNREACHABLE') {
      throw new CliError({
        en: `${e.text.en} — the operation was cut short; nothing is lost: the next operation on this card settles it`,
        ja: `${e.text.ja}。処理が中断されました。次にこのカードを操作したときに整合されます`,
      });
    }
    throw asCliError(e);
  } finally {
    await slot.done();
  }
}

/**
 * Card files named on the command line, or every file of --cards-dir whatever its name
 * (hidden files and folders aside); a file that is not a card fails as itself, by name.
 */
async function cardFiles(values: Values): Promise<string[]> {
  const files = strs(values.card);
  const dir = str(values['cards-dir']);
  if (dir) {
    let names: string[];
    try {
      const entries = await readdir(dir, { withFileTypes: true });
      names = entries
        .filter((e) => !e.name.startsWith('.') && (e.isFile() || e.isSymbolicLink()))
        .map((e) => e.name)
        .sort();
    } catch (e) {
      throw new CliError({
        en: `cannot read ${dir}: ${(e as Error).message}`,
        ja: `${dir} を読めません`,
      });
    }
    if (names.length === 0) {
      throw new CliError({
        en: `${dir} holds no card files`,
        ja: `${dir} にカードファイルがありません`,
      });
    }
    files.push(...names.map((n) => join(dir, n)));
  }
  if (files.length > 0 && values.reader !== undefined) {
    throw new CliError(
      {
        en: 'give card files or --reader, not both',
        ja: 'カードファイルと --reader はどちらか一方です',
      },
      2,
    );
  }
  return files;
}

function printRecovered(io: CliIo, o: { recovered: unknown[] }): void {
  if (o.recovered.length > 0) {
    io.out(
      t({
        en: `  settled ${o.recovered.length} cut-short operation(s) found on this card`,
        ja: `  中断していた処理 ${o.recovered.length} 件を整合しました`,
      }),
    );
  }
}

function printLoad(io: CliIo, o: LoadResult): void {
  io.out(t({ en: `card ${o.cardId}`, ja: `カード ${o.cardId}` }));
  printRecovered(io, o);
  for (const r of o.results) {
    const where = t(AREA_TEXT[r.area] ?? { en: r.area, ja: r.area });
    if (r.status === 'loaded') {
      io.out(
        t({
          en: `  loaded   ${r.name} (${r.cardApId}) in the ${where}: AID ${r.aid}, user ID ${r.userId}`,
          ja: `  搭載     ${r.name}（${r.cardApId}）${where}: AID ${r.aid}、利用者ID ${r.userId}`,
        }),
      );
    } else {
      const m = r.error ? `${t(r.error.message)} [${r.error.code}]` : '';
      io.out(
        t({
          en: `  refused  ${r.name} (${r.cardApId}) in the ${where}: ${m}`,
          ja: `  搭載不可 ${r.name}（${r.cardApId}）${where}: ${m}`,
        }),
      );
    }
  }
}

type LoadItem = NonNullable<Extract<JobBody, { op: 'load' }>['cardAps']>[number];

/** `--ap ID[:AREA][=DATAHEX]`, repeatable. */
function parseAps(values: Values, pin: string | undefined): LoadItem[] {
  return strs(values.ap).map((spec) => {
    const m = /^(ap_[0-9a-f]{24})(?::(local|extended))?(?:=([0-9A-Fa-f]*))?$/.exec(spec);
    if (!m) {
      throw new CliError(
        {
          en: `--ap ${spec}: write CARD_AP_ID[:local|extended][=DATA_HEX]`,
          ja: `--ap ${spec}: CARD_AP_ID[:local|extended][=データ16進] の形で指定してください`,
        },
        2,
      );
    }
    const area = areaSchema.safeParse(m[2]);
    return {
      cardApId: m[1]!,
      ...(area.success ? { area: area.data } : {}),
      ...(m[3] ? { data: m[3] } : {}),
      ...(pin !== undefined ? { pin } : {}),
    };
  });
}

const CONSENT_METHODS = consentMethodSchema.options;

function consentOf(values: Values): Extract<JobBody, { op: 'load' }>['consent'] {
  const method = consentMethodSchema.safeParse(str(values.consent) ?? 'counter_form');
  if (!method.success) {
    throw new CliError(
      {
        en: `--consent is one of ${CONSENT_METHODS.join(', ')}`,
        ja: `--consent は ${CONSENT_METHODS.join('、')} のいずれかです`,
      },
      2,
    );
  }
  const note = str(values.note);
  return { method: method.data, ...(note ? { note } : {}) };
}

const load: CliCommand = {
  path: ['load'],
  summary: {
    en: 'load card APs onto a card (the terminal’s auto-load preset unless --ap); several cards = a batch',
    ja: 'カードAPをカードに搭載（--ap がなければ端末の自動搭載設定）。複数のカードは一括搭載',
  },
  usage:
    '(--card FILE… | --cards-dir DIR | --reader N) [--terminal ID] [--ap CARD_AP_ID[:local|extended][=DATA_HEX]]… [--consent counter_form|counter_signature|online] [--note TEXT] [--municipality CODE] [--override-hours] [--cardap-pin-stdin] [--json]   (card AP PIN: MYNA_CARDAP_PIN)',
  options: {
    ...SERVER_OPTIONS,
    ...CARD_OPTIONS,
    'cards-dir': { type: 'string' },
    ap: { type: 'string', multiple: true },
    consent: { type: 'string' },
    note: { type: 'string' },
    municipality: { type: 'string' },
    'override-hours': { type: 'boolean' },
    'cardap-pin-stdin': { type: 'boolean' },
  },
  async run({ values }, io) {
    const files = await cardFiles(values);
    if (files.length === 0 && values.reader === undefined) {
      throw new CliError(
        {
          en: 'give --card FILE, --cards-dir DIR or --reader N',
          ja: '--card、--cards-dir、--reader のいずれかを指定してください',
        },
        2,
      );
    }
    const wantsPin =
      values['cardap-pin-stdin'] === true || process.env.MYNA_CARDAP_PIN !== undefined;
    const pin = wantsPin
      ? readPassword('MYNA_CARDAP_PIN', values['cardap-pin-stdin'] === true)
      : undefined;
    const cardAps = parseAps(values, pin);
    const municipality = str(values.municipality);
    return api(values, async (c) => {
      const terminalId = await terminalOf(values, c);
      const body: JobBody = {
        op: 'load',
        terminalId,
        ...(cardAps.length > 0 ? { cardAps } : {}),
        consent: consentOf(values),
        ...(municipality ? { holderMunicipality: municipality } : {}),
        ...(values['override-hours'] === true ? { overrideHours: true } : {}),
      };
      // One card: a plain load. Several: a batch (一括搭載), card after card.
      if (files.length <= 1) {
        const slot = files[0] ? await openFileCard(files[0]) : await openReaderCard(values);
        const j = await runJob(c, slot, body);
        if (j.state !== 'done') throw jobFailure(j);
        const o = jobResult(j, 'load');
        if (values.json) io.out(JSON.stringify(o, null, 2));
        else printLoad(io, o);
        return o.results.every((r) => r.status === 'loaded') ? 0 : 1;
      }
      if (cardAps.length === 0) {
        throw new CliError(
          {
            en: 'a batch names its card APs with --ap',
            ja: '一括搭載では --ap でカードAPを指定してください',
          },
          2,
        );
      }
      const note = str(values.note);
      const batch = await c.call('createBatch', {
        body: {
          terminalId,
          cardApIds: cardAps.map((a) => a.cardApId),
          ...(note ? { note } : {}),
        },
      });
      io.out(
        t({
          en: `batch ${batch.id}: ${files.length} cards`,
          ja: `一括搭載 ${batch.id}: カード ${files.length} 枚`,
        }),
      );
      const all: { file: string; outcome?: LoadResult; error?: string }[] = [];
      for (const [n, file] of files.entries()) {
        let line: string;
        try {
          const j = await runJob(c, await openFileCard(file), { ...body, batchId: batch.id });
          if (j.state !== 'done') throw jobFailure(j);
          const o = jobResult(j, 'load');
          all.push({ file, outcome: o });
          const ok = o.results.filter((r) => r.status === 'loaded').length;
          const bad = o.results.filter((r) => r.status !== 'loaded');
          line = t({
            en: `loaded ${ok}/${o.results.length}${bad.length ? ` — ${bad.map((r) => r.error?.code).join(', ')}` : ''}`,
            ja: `搭載 ${ok}/${o.results.length}${bad.length ? ` — ${bad.map((r) => r.error?.code).join('、')}` : ''}`,
          });
        } catch (e) {
          // One bad card does not stop the batch.
          const msg = e instanceof CliError ? t(e.text) : (e as Error).message;
          all.push({ file, error: msg });
          line = t({ en: `failed: ${msg}`, ja: `失敗: ${msg}` });
        }
        if (!values.json) io.out(`[${n + 1}/${files.length}] ${file}: ${line}`);
      }
      const summary = await c.call('closeBatch', {
        params: { id: batch.id },
        body: { state: 'done' },
      });
      if (values.json) io.out(JSON.stringify({ batch: summary, cards: all }, null, 2));
      else
        io.out(
          t({
            en: `batch ${batch.id} closed: ${summary.cards} cards, ${summary.loaded} loaded, ${summary.failed} refused, ${summary.unfinished} cut short`,
            ja: `一括搭載 ${batch.id} を終了: カード ${summary.cards} 枚、搭載 ${summary.loaded}、不可 ${summary.failed}、中断 ${summary.unfinished}`,
          }),
        );
      const clean = all.every(
        (x) => x.outcome && x.outcome.results.every((r) => r.status === 'loaded'),
      );
      return clean ? 0 : 1;
    });
  },
};

function oneCard(values: Values): Promise<CardSlot> {
  const files = strs(values.card);
  if (files.length > 1)
    throw new CliError({ en: 'give one --card', ja: '--card は1つだけ指定してください' }, 2);
  if (files[0] && values.reader !== undefined) {
    throw new CliError(
      { en: 'give --card or --reader, not both', ja: '--card と --reader はどちらか一方です' },
      2,
    );
  }
  if (files[0]) return openFileCard(files[0]);
  return openReaderCard(values);
}

const del: CliCommand = {
  path: ['delete'],
  summary: {
    en: 'delete card APs of your provider from a card, on the holder’s request',
    ja: '本人の申請により、貴団体のカードAPをカードから削除',
  },
  usage:
    '(--card FILE | --reader N) --ap CARD_AP_ID… [--terminal ID] [--consent counter_form|counter_signature|online] [--note TEXT] [--override-hours] [--json]',
  options: {
    ...SERVER_OPTIONS,
    ...CARD_OPTIONS,
    ap: { type: 'string', multiple: true },
    consent: { type: 'string' },
    note: { type: 'string' },
    municipality: { type: 'string' },
    'override-hours': { type: 'boolean' },
  },
  async run({ values }, io) {
    const ids = strs(values.ap);
    if (ids.length === 0)
      throw new CliError({ en: '--ap is required', ja: '--ap を指定してください' }, 2);
    return api(values, async (c) => {
      const terminalId = await terminalOf(values, c);
      const j = await runJob(c, await oneCard(values), {
        op: 'delete',
        terminalId,
        cardApIds: ids,
        consent: consentOf(values),
        ...(str(values.municipality) ? { holderMunicipality: str(values.municipality) } : {}),
        ...(values['override-hours'] === true ? { overrideHours: true } : {}),
      });
      if (j.state !== 'done') throw jobFailure(j);
      const o = jobResult(j, 'delete');
      if (values.json) {
        io.out(JSON.stringify(o, null, 2));
      } else {
        io.out(t({ en: `card ${o.cardId}`, ja: `カード ${o.cardId}` }));
        printRecovered(io, o);
        for (const r of o.results) {
          io.out(
            r.status === 'deleted'
              ? t({
                  en: `  deleted  ${r.cardApId} (AID ${r.aid})`,
                  ja: `  削除     ${r.cardApId}（AID ${r.aid}）`,
                })
              : t({
                  en: `  refused  ${r.cardApId}: ${r.error ? `${r.error.message.en} [${r.error.code}]` : ''}`,
                  ja: `  削除不可 ${r.cardApId}: ${r.error ? `${r.error.message.ja} [${r.error.code}]` : ''}`,
                }),
          );
        }
      }
      return o.results.every((r) => r.status === 'deleted') ? 0 : 1;
    });
  },
};

function printDiagnosis(io: CliIo, r: DiagnoseResult): void {
  const ja = currentLang() === 'ja';
  const mark = (level: string) => (level === 'ok' ? 'OK ' : level === 'warning' ? '!  ' : 'NG ');
  if (!r.readable) io.out(ja ? 'カードを読み取れません' : 'the card cannot be read');
  else {
    io.out(
      `${ja ? 'カード' : 'card'}: ${r.cardId}  ${ja ? '市区町村' : 'municipality'} ${r.municipalityCode ?? '-'}  ${ja ? '有効期限' : 'expiry'} ${r.expiry ?? '-'}  ${ja ? '状態' : 'status'} ${r.status ?? (ja ? '未登録' : 'not yet met')}`,
    );
    io.out(ja ? 'アプリケーション:' : 'applications:');
    for (const a of r.apps) io.out(`  ${a.present ? 'OK ' : 'NG '} ${t(a.label)}`);
    io.out(ja ? '暗証番号の残り回数:' : 'PIN tries left:');
    for (const p of r.pins) {
      const n =
        p.triesLeft === null
          ? '?'
          : p.triesLeft === 0
            ? ja
              ? 'ロック中'
              : 'LOCKED'
            : String(p.triesLeft);
      io.out(`  ${p.triesLeft === 0 ? 'NG ' : 'OK '} ${t(p.label)}: ${n}`);
    }
    io.out(ja ? '空き領域:' : 'free areas:');
    for (const a of r.areas) {
      const name = t(AREA_TEXT[a.area] ?? { en: a.area, ja: a.area });
      io.out(
        `  ${name}: ${a.used ?? '?'} / ${a.total ?? '?'} ${ja ? 'バイト使用、残り' : 'bytes used,'} ${a.free ?? '?'}${ja ? ' バイト' : ' free'}; ${ja ? '貴団体' : 'yours'} ${a.yours.length}, ${ja ? '他団体' : 'others'} ${a.others}`,
      );
      for (const y of a.yours)
        io.out(
          `     ${y.aid} type ${y.type} ${y.size} B${y.recorded ? '' : ja ? '（記録なし）' : ' (not recorded)'}`,
        );
      if (a.error) io.out(`     ${t(a.error)}`);
    }
    io.out(
      `${ja ? '利用者証明用電子証明書' : 'auth certificate'}: ${r.certificate.status}${r.certificate.notAfter ? ` (${ja ? '有効期限' : 'until'} ${r.certificate.notAfter.slice(0, 10)})` : ''}${r.certificate.detail ? ` — ${r.certificate.detail}` : ''}`,
    );
  }
  if (r.findings.length > 0) {
    io.out(ja ? '所見:' : 'findings:');
    for (const f of r.findings) io.out(`  ${mark(f.level)} ${t(f.text)} [${f.code}]`);
  }
  io.out(ja ? '次の対応:' : 'what to do next:');
  for (const a of r.advice) io.out(`  - ${t(a)}`);
}

const diagnoseCmd: CliCommand = {
  path: ['diagnose'],
  summary: {
    en: 'fault isolation of a card: readable, APs, PIN tries, free areas, card APs vs records, certificate, what to do',
    ja: 'カード障害切り分け: 読取可否・AP・暗証番号の残り回数・空き領域・カードAPと記録の照合・証明書・次の対応',
  },
  usage: '(--card FILE | --reader N) [--terminal ID] [--json]',
  options: { ...SERVER_OPTIONS, ...CARD_OPTIONS },
  async run({ values }, io) {
    return api(values, async (c) => {
      const terminalId = await terminalOf(values, c);
      const j = await runJob(c, await oneCard(values), { op: 'diagnose', terminalId });
      if (j.state !== 'done') throw jobFailure(j);
      const r = jobResult(j, 'diagnose');
      if (values.json) io.out(JSON.stringify(r, null, 2));
      else printDiagnosis(io, r);
      return r.findings.some((f) => f.level === 'error') ? 1 : 0;
    });
  },
};

const moveInCmd: CliCommand = {
  path: ['move-in'],
  summary: {
    en: 'continuation procedure after a move (引越継続利用): deletes the local-area card APs, keeps the extended ones',
    ja: '引越継続利用の手続き: 地域住民向け領域のカードAPを削除し、拡張利用領域のカードAPは残す',
  },
  usage:
    '(--card FILE | --reader N) --to MUNICIPALITY_CODE [--terminal ID] [--override-hours] [--json]',
  options: {
    ...SERVER_OPTIONS,
    ...CARD_OPTIONS,
    to: { type: 'string' },
    'override-hours': { type: 'boolean' },
  },
  async run({ values }, io) {
    const to = need(values.to, 'to');
    return api(values, async (c) => {
      const terminalId = await terminalOf(values, c);
      const j = await runJob(c, await oneCard(values), {
        op: 'move_in',
        terminalId,
        toMunicipality: to,
        ...(values['override-hours'] === true ? { overrideHours: true } : {}),
      });
      if (j.state !== 'done') throw jobFailure(j);
      const o = jobResult(j, 'move_in');
      if (values.json) {
        io.out(JSON.stringify(o, null, 2));
        return 0;
      }
      io.out(
        t({
          en: `card ${o.cardId}: moved in from ${o.from ?? '?'} to ${o.to}`,
          ja: `カード ${o.cardId}: ${o.from ?? '?'} から ${o.to} へ転入`,
        }),
      );
      printRecovered(io, o);
      for (const r of o.removed) {
        io.out(
          t({
            en: `  deleted  ${r.cardApId} of ${r.providerId} (local area; ${r.providerId} is notified)`,
            ja: `  削除     ${r.providerId} の ${r.cardApId}（地域住民向け領域。${r.providerId} に通知します）`,
          }),
        );
      }
      for (const r of o.kept)
        io.out(
          t({
            en: `  kept     ${r.cardApId} of ${r.providerId} (extended area)`,
            ja: `  継続     ${r.providerId} の ${r.cardApId}（拡張利用領域）`,
          }),
        );
      if (o.removed.length === 0 && o.kept.length === 0)
        io.out(t({ en: '  no card APs on this card', ja: '  このカードにカードAPはありません' }));
      return 0;
    });
  },
};

const pinReset: CliCommand = {
  path: ['pin-reset'],
  summary: {
    en: 'reset a card AP’s PIN (forgotten or locked) on the holder’s request; every try comes back',
    ja: '本人の申請によりカードAPのPINを再設定（忘れた・ロックした場合）。残り回数も戻ります',
  },
  usage:
    '(--card FILE | --reader N) --ap CARD_AP_ID [--terminal ID] [--consent M] [--note T] [--cardap-pin-stdin]   (new PIN: MYNA_CARDAP_PIN; none for a system-fixed PIN)',
  options: {
    ...SERVER_OPTIONS,
    ...CARD_OPTIONS,
    ap: { type: 'string' },
    consent: { type: 'string' },
    note: { type: 'string' },
    'override-hours': { type: 'boolean' },
    'cardap-pin-stdin': { type: 'boolean' },
  },
  async run({ values }, io) {
    const cardApId = need(values.ap, 'ap');
    const wantsPin =
      values['cardap-pin-stdin'] === true || process.env.MYNA_CARDAP_PIN !== undefined;
    const pin = wantsPin
      ? readPassword('MYNA_CARDAP_PIN', values['cardap-pin-stdin'] === true)
      : undefined;
    return api(values, async (c) => {
      const terminalId = await terminalOf(values, c);
      const j = await runJob(c, await oneCard(values), {
        op: 'reset_pin',
        terminalId,
        cardApId,
        ...(pin !== undefined ? { pin } : {}),
        consent: consentOf(values),
        ...(values['override-hours'] === true ? { overrideHours: true } : {}),
      });
      if (j.state !== 'done') throw jobFailure(j);
      const o = jobResult(j, 'reset_pin');
      if (values.json) io.out(JSON.stringify(o, null, 2));
      else
        io.out(
          t({
            en: `card ${o.cardId}: the PIN of ${cardApId} (AID ${o.aid}) is reset${o.fixed ? ' to its system-fixed value' : ''}, ${o.tries} tries`,
            ja: `カード ${o.cardId}: ${cardApId}（AID ${o.aid}）のPINを再設定しました${o.fixed ? '（システム固定PIN）' : ''}。残り${o.tries}回`,
          }),
        );
      return 0;
    });
  },
};

const carryOverCmd: CliCommand = {
  path: ['carry-over'],
  summary: {
    en: 'renewal or reissue (更新・再交付): load the card APs of the card this one replaced onto it, in one step, with new user IDs; the providers are told old and new',
    ja: '更新・再交付: 旧カードのカードAPを新しいカードへ一度に引き継ぐ（利用者IDは新規。提供者に新旧を通知）',
  },
  usage:
    '(--card FILE | --reader N) [--terminal ID] [--pin-for CARD_AP_ID]… [--consent M] [--note T] [--municipality CODE] [--override-hours] [--cardap-pin-stdin] [--json]   (the PIN the holder chooses for each --pin-for card AP: MYNA_CARDAP_PIN)',
  options: {
    ...SERVER_OPTIONS,
    ...CARD_OPTIONS,
    'pin-for': { type: 'string', multiple: true },
    consent: { type: 'string' },
    note: { type: 'string' },
    municipality: { type: 'string' },
    'override-hours': { type: 'boolean' },
    'cardap-pin-stdin': { type: 'boolean' },
  },
  async run({ values }, io) {
    const pinFor = strs(values['pin-for']);
    const pin =
      pinFor.length > 0
        ? readPassword('MYNA_CARDAP_PIN', values['cardap-pin-stdin'] === true)
        : undefined;
    const municipality = str(values.municipality);
    return api(values, async (c) => {
      const terminalId = await terminalOf(values, c);
      const j = await runJob(c, await oneCard(values), {
        op: 'carry_over',
        terminalId,
        consent: consentOf(values),
        ...(pin !== undefined ? { pins: pinFor.map((cardApId) => ({ cardApId, pin })) } : {}),
        ...(municipality ? { holderMunicipality: municipality } : {}),
        ...(values['override-hours'] === true ? { overrideHours: true } : {}),
      });
      if (j.state !== 'done') throw jobFailure(j);
      const o = jobResult(j, 'carry_over');
      if (values.json) {
        io.out(JSON.stringify(o, null, 2));
        return 0;
      }
      io.out(
        t({
          en: `card ${o.cardId}: carrying over from card ${o.fromCardId}`,
          ja: `カード ${o.cardId}: 旧カード ${o.fromCardId} から引継ぎ`,
        }),
      );
      printRecovered(io, o);
      for (const r of o.results) {
        const where = t(AREA_TEXT[r.area] ?? { en: r.area, ja: r.area });
        if (r.status === 'loaded') {
          io.out(
            t({
              en: `  carried  ${r.name} (${r.cardApId}, ${r.providerId}) in the ${where}: user ID ${r.userId} (was ${r.fromUserId}; ${r.providerId} is notified)`,
              ja: `  引継ぎ   ${r.name}（${r.cardApId}、${r.providerId}）${where}: 利用者ID ${r.userId}（旧 ${r.fromUserId}。${r.providerId} に通知します）`,
            }),
          );
        } else {
          const m = r.error ? `${t(r.error.message)} [${r.error.code}]` : '';
          io.out(
            t({
              en: `  not carried ${r.name} (${r.cardApId}, ${r.providerId}): ${m}`,
              ja: `  引継ぎ不可 ${r.name}（${r.cardApId}、${r.providerId}）: ${m}`,
            }),
          );
        }
      }
      return o.results.some(
        (r) => r.status !== 'loaded' && r.error?.code !== 'ALREADY_CARRIED_OVER',
      )
        ? 1
        : 0;
    });
  },
};

export const cardJobCommands: readonly CliCommand[] = [
  load,
  del,
  diagnoseCmd,
  moveInCmd,
  pinReset,
  carryOverCmd,
];
