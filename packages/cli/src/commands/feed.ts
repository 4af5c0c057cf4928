/**
 * The status feed (カード一時停止等のステータスのオンライン提供) from the command line:
 * `myna feed` (changes since a seq, `--follow` to keep polling), `myna feed daily`
 * (the daily list, JSON or CSV for batch jobs), `myna notices`, and
 * `myna card status` (the platform records a card's status).
 */
import { writeFile } from 'node:fs/promises';
import type { ApiClient } from '@myna-ap/loader/client';
import type {
  CardStatus,
  FeedPage,
  NoticeView,
  StatusEventView,
  StatusSource,
} from '@myna-ap/loader/contract';
import { CliError, type CliCommand, type CliIo } from '../command.ts';
import { t } from '../i18n.ts';
import { SERVER_OPTIONS, api, int, need, str, table } from './serve.ts';

const STATUSES: readonly CardStatus[] = ['lost', 'suspended', 'revoked', 'active'];
const SOURCES: readonly StatusSource[] = ['call_center', 'jpki_revocation', 'operator', 'issuer'];
/** The server's page size limit; the CLI reads page after page. */
const PAGE = 1000;

function row(e: StatusEventView): Record<string, unknown> {
  return {
    seq: e.seq,
    at: e.at,
    cardId: e.cardId,
    change: `${e.previous}→${e.status}`,
    source: e.source,
    userIds: e.cardAps?.map((a) => a.userId),
  };
}

const FEED_COLS = ['seq', 'at', 'cardId', 'change', 'source', 'userIds'] as const;

/** Every event after `since`, page by page. */
async function readAll(c: ApiClient, since: number): Promise<FeedPage> {
  const events: StatusEventView[] = [];
  let next = since;
  for (;;) {
    const p = await c.call('feed', { query: { since: String(next), limit: String(PAGE) } });
    events.push(...p.events);
    next = p.next;
    if (p.events.length < PAGE) return { events, next };
  }
}

/** Resolves on Ctrl-C or SIGTERM, and removes its listeners either way. */
function stopSignal(): { stopped: Promise<void>; done: () => void } {
  let done = () => {};
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      done();
      resolve();
    };
    done = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return { stopped, done };
}

function nextHint(io: CliIo, next: number): void {
  io.err(
    t({
      en: `next time: myna feed --since ${next}`,
      ja: `次回: myna feed --since ${next}`,
    }),
  );
}

const feed: CliCommand = {
  path: ['feed'],
  summary: {
    en: 'card status changes (lost, suspended, revoked) since a seq; --follow keeps polling',
    ja: 'カードのステータス変更（紛失・一時停止・失効）を取得。--follow で継続して取得',
  },
  usage: '[--since N] [--follow [--interval SECONDS]] [--json]',
  options: {
    ...SERVER_OPTIONS,
    since: { type: 'string' },
    follow: { type: 'boolean' },
    interval: { type: 'string' },
  },
  async run({ values }, io) {
    const since = int(values.since, 'since') ?? 0;
    const interval = int(values.interval, 'interval') ?? 5;
    if (interval < 1 || interval > 3600)
      throw new CliError(
        { en: '--interval is 1 to 3600 seconds', ja: '--interval は 1〜3600 秒です' },
        2,
      );
    if (!values.follow) {
      const p = await api(values, (c) => readAll(c, since));
      if (values.json) io.out(JSON.stringify(p, null, 2));
      else {
        table(io.out, p.events.map(row), FEED_COLS);
        nextHint(io, p.next);
      }
      return 0;
    }
    // --follow: one line per event as it comes (JSON lines with --json), until Ctrl-C.
    const { stopped, done } = stopSignal();
    let stop = false;
    void stopped.then(() => (stop = true));
    let next = since;
    let warned = false;
    if (!values.json) io.out(FEED_COLS.join('  '));
    try {
      while (!stop) {
        try {
          const p = await api(values, (c) => readAll(c, next));
          for (const e of p.events) {
            if (values.json) io.out(JSON.stringify(e));
            else
              io.out(
                FEED_COLS.map((k) => {
                  const v = row(e)[k];
                  return Array.isArray(v) ? v.join(',') : String(v ?? '-');
                }).join('  '),
              );
          }
          next = p.next;
          warned = false;
        } catch (e) {
          // The server restarting is no reason to stop following; a refusal is.
          if (!(e instanceof CliError) || !/SERVER_UNREACHABLE/.test(e.text.en)) throw e;
          if (!warned) io.err(t(e.text));
          warned = true;
        }
        await Promise.race([stopped, new Promise((r) => setTimeout(r, interval * 1000))]);
      }
    } finally {
      done();
    }
    nextHint(io, next);
    return 0;
  },
};

/** Today in Japan, minus `days`, as YYYY-MM-DD. */
function japanDate(days: number): string {
  return new Date(Date.now() + 9 * 3_600_000 - days * 86_400_000).toISOString().slice(0, 10);
}

const daily: CliCommand = {
  path: ['feed', 'daily'],
  summary: {
    en: 'the daily list (1日1回連携): cards whose status changed that day, Japan time (default yesterday)',
    ja: '日次のステータス一覧（1日1回連携）: その日（日本時間、既定は前日）にステータスが変わったカード',
  },
  usage: '[--date YYYY-MM-DD] [--csv [--out FILE]] [--signed --out FILE] [--json]',
  options: {
    ...SERVER_OPTIONS,
    date: { type: 'string' },
    csv: { type: 'boolean' },
    out: { type: 'string' },
    signed: { type: 'boolean' },
  },
  async run({ values }, io) {
    const date = str(values.date) ?? japanDate(1);
    if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(date))
      throw new CliError(
        { en: '--date is YYYY-MM-DD', ja: '--date は YYYY-MM-DD で指定してください' },
        2,
      );
    if (values.signed) {
      // The file and its detached signature beside it, as a batch job keeps them.
      const out = str(values.out);
      if (!out)
        throw new CliError(
          {
            en: '--signed writes two files: give --out FILE (the signature goes to FILE.p7s)',
            ja: '--signed は2つのファイルを書き出します。--out FILE を指定してください（署名は FILE.p7s）',
          },
          2,
        );
      const format = values.csv ? 'csv' : 'json';
      const signed = await api(values, (c) =>
        c.call('dailyFeedSigned', { query: { date, format } }),
      );
      await writeFile(out, Buffer.from(signed.content, 'base64'));
      await writeFile(`${out}.p7s`, Buffer.from(signed.signature, 'base64'));
      io.err(
        t({
          en: `written to ${out} and its signature to ${out}.p7s (check: myna feed verify ${out} --certificate PLATFORM.pem)`,
          ja: `${out} と署名 ${out}.p7s を書き出しました（検証: myna feed verify ${out} --certificate PLATFORM.pem）`,
        }),
      );
      if (!signed.complete) io.err(notOver(date));
      return 0;
    }
    if (values.csv) {
      const csv = await api(values, (c) => c.text('dailyFeed', { query: { date, format: 'csv' } }));
      const out = str(values.out);
      if (out) {
        await writeFile(out, csv, 'utf8'); // the server's bytes: UTF-8, CRLF
        io.err(t({ en: `written to ${out}`, ja: `${out} に書き出しました` }));
      }
      // io.out adds "\n": the last record's "\r\n" comes out whole.
      else io.out(csv.replace(/\n$/, ''));
      return 0;
    }
    const list = await api(values, (c) => c.call('dailyFeed', { query: { date } }));
    if (values.json) {
      io.out(JSON.stringify(list, null, 2));
      return 0;
    }
    table(
      io.out,
      list.cards.map((c) => ({ ...c, userIds: c.cardAps?.map((a) => a.userId) })),
      ['cardId', 'status', 'source', 'changedAt', 'changes', 'userIds'],
    );
    if (!list.complete) io.err(notOver(list.date));
    return 0;
  },
};

const notOver = (date: string) =>
  t({
    en: `${date} is not over yet (Japan time): the list may still grow`,
    ja: `${date}（日本時間）はまだ終わっていません。一覧は増える可能性があります`,
  });

const certificate: CliCommand = {
  path: ['feed', 'certificate'],
  summary: {
    en: 'the certificate that signs the daily lists (PEM), with its SHA-256 to compare before you pin it',
    ja: '日次一覧の署名用証明書（PEM）と、登録前に照合する SHA-256',
  },
  usage: '[--out FILE]',
  options: { ...SERVER_OPTIONS, out: { type: 'string' } },
  async run({ values }, io) {
    // Public: no login needed to fetch what every system pins.
    const c = await api(values, (client) => client.call('feedCertificate', {}), false);
    const out = str(values.out);
    if (out) await writeFile(out, c.certificate, 'utf8');
    else io.out(c.certificate.replace(/\n$/, ''));
    io.err(
      t({
        en: `${c.subject}, valid to ${c.notAfter}; SHA-256 ${c.sha256}${out ? ` — written to ${out}` : ''}`,
        ja: `${c.subject}、有効期限 ${c.notAfter}。SHA-256 ${c.sha256}${out ? ` — ${out} に書き出しました` : ''}`,
      }),
    );
    return 0;
  },
};

const verify: CliCommand = {
  path: ['feed', 'verify'],
  summary: {
    en: 'check a signed daily list offline against the pinned certificate (no server needed)',
    ja: '署名付き日次一覧を、登録済みの証明書でオフライン検証（サーバ不要）',
  },
  usage: 'FILE --certificate PEM [--signature FILE.p7s]',
  positionals: true,
  options: { certificate: { type: 'string' }, signature: { type: 'string' } },
  async run({ values, positionals }, io) {
    const file = positionals[0];
    const certFile = str(values.certificate);
    if (!file || !certFile)
      throw new CliError(
        {
          en: 'usage: myna feed verify FILE --certificate PEM [--signature FILE.p7s]',
          ja: '使い方: myna feed verify FILE --certificate PEM [--signature FILE.p7s]',
        },
        2,
      );
    const { readFile } = await import('node:fs/promises');
    const { X509Certificate } = await import('node:crypto');
    // Loaded here: the other feed commands need no X.509 library.
    const { verifyDetached, SignedFileError } = await import('@myna-ap/pki');
    const read = async (path: string) => {
      try {
        return new Uint8Array(await readFile(path));
      } catch {
        throw new CliError({ en: `cannot read ${path}`, ja: `${path} を読めません` }, 2);
      }
    };
    const content = await read(file);
    const signature = await read(str(values.signature) ?? `${file}.p7s`);
    let trusted: Uint8Array;
    try {
      trusted = new X509Certificate(Buffer.from(await read(certFile))).raw;
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError(
        {
          en: `${certFile} is not a certificate (PEM or DER)`,
          ja: `${certFile} は証明書（PEM または DER）ではありません`,
        },
        2,
      );
    }
    try {
      const { signedAt } = verifyDetached(content, signature, trusted);
      io.out(
        t({
          en: `${file}: signature valid, signed at ${signedAt.toISOString()}`,
          ja: `${file}: 署名は有効です（署名日時 ${signedAt.toISOString()}）`,
        }),
      );
      return 0;
    } catch (e) {
      if (!(e instanceof SignedFileError)) throw e;
      io.err(`${file}: ${e.code} — ${t(e.text)}`);
      return 1;
    }
  },
};

const notices: CliCommand = {
  path: ['notices'],
  summary: {
    en: 'your provider’s notices: card APs removed on a move-in, status changes of cards holding them',
    ja: '自団体あての通知: 転入で削除されたカードAP、カードAPを搭載したカードのステータス変更',
  },
  usage: '[--after N] [--json]',
  options: { ...SERVER_OPTIONS, after: { type: 'string' } },
  async run({ values }, io) {
    let next = int(values.after, 'after') ?? 0;
    const all: NoticeView[] = [];
    await api(values, async (c) => {
      for (;;) {
        const p = await c.call('notices', {
          query: { after: String(next), limit: String(PAGE) },
        });
        all.push(...p.notices);
        next = p.next;
        if (p.notices.length < PAGE) return;
      }
    });
    if (values.json) {
      io.out(JSON.stringify({ notices: all, next }, null, 2));
      return 0;
    }
    table(
      io.out,
      all.map((n) => ({
        ...n,
        cardApId: n.detail.cardApId,
        userId: n.detail.userId,
        what:
          n.kind === 'card_status'
            ? `${String(n.detail.previous)}→${String(n.detail.status)} (${String(n.detail.source)})`
            : `${String(n.detail.from ?? '-')}→${String(n.detail.to)}`,
      })),
      ['seq', 'createdAt', 'providerId', 'kind', 'cardId', 'cardApId', 'userId', 'what'],
    );
    io.err(
      t({
        en: `next time: myna notices --after ${next}`,
        ja: `次回: myna notices --after ${next}`,
      }),
    );
    return 0;
  },
};

const cardStatus: CliCommand = {
  path: ['card', 'status'],
  summary: {
    en: 'record a card’s status: lost, suspended, revoked, or active again (platform operators)',
    ja: 'カードのステータスを記録: 紛失・一時停止・失効・利用再開（機構オペレーター）',
  },
  usage:
    'CARD_ID --set lost|suspended|revoked|active --source call_center|jpki_revocation|operator|issuer [--note TEXT] [--json]',
  options: {
    ...SERVER_OPTIONS,
    set: { type: 'string' },
    source: { type: 'string' },
    note: { type: 'string' },
  },
  positionals: true,
  async run({ values, positionals }, io) {
    const cardId = positionals[0];
    if (!cardId || positionals.length > 1)
      throw new CliError(
        {
          en: 'give one card ID (the card serial in hex)',
          ja: 'カードID（カードのシリアル番号、16進）を1つ指定してください',
        },
        2,
      );
    const set = need(values.set, 'set');
    const from = need(values.source, 'source');
    const status = STATUSES.find((s) => s === set);
    const source = SOURCES.find((s) => s === from);
    if (!status)
      throw new CliError(
        {
          en: `--set is one of ${STATUSES.join(', ')}`,
          ja: `--set は ${STATUSES.join('・')} のいずれかです`,
        },
        2,
      );
    if (!source)
      throw new CliError(
        {
          en: `--source is one of ${SOURCES.join(', ')}`,
          ja: `--source は ${SOURCES.join('・')} のいずれかです`,
        },
        2,
      );
    const note = str(values.note);
    const r = await api(values, (c) =>
      c.call('setCardStatus', {
        params: { cardId },
        body: { status, source, ...(note === undefined ? {} : { note }) },
      }),
    );
    if (values.json) io.out(JSON.stringify(r, null, 2));
    else
      io.out(
        t({
          en: `card ${r.cardId}: ${r.previous} → ${r.status} (feed seq ${r.seq}); providers told: ${r.notified.join(', ') || 'none'}`,
          ja: `カード ${r.cardId}: ${r.previous} → ${r.status}（フィード seq ${r.seq}）。通知先: ${r.notified.join('、') || 'なし'}`,
        }),
      );
    return 0;
  },
};

export const feedCommands: readonly CliCommand[] = [
  feed,
  daily,
  certificate,
  verify,
  notices,
  cardStatus,
];
