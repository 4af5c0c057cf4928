/**
 * `npm start -w apps/library`: the library's counter server. Settings from the environment:
 *
 *   LIBRARY_PORT (8391), LIBRARY_HOST (127.0.0.1)
 *   DATABASE_URL (PostgreSQL) or LIBRARY_DATA_DIR (PGlite; default $MYNA_HOME/library-db)
 *   (staff sign in with their own accounts: `npm run accounts -w apps/library -- add LOGIN ROLE`)
 *   LIBRARY_AID             the library's type C card AP; required
 *   LIBRARY_READER          the counter's PC/SC reader (index, name or part of it; default the first with a card)
 *   MYNA_SERVER, LIBRARY_CLIENT_ID, LIBRARY_CLIENT_SECRET
 *                           the loading system and the library's API client: the status feed
 *   LIBRARY_FEED_INTERVAL   seconds between feed polls (300)
 *   LIBRARY_MAX_LOANS, LIBRARY_LOAN_DAYS, LIBRARY_LEND_WHILE_OVERDUE   the rules (10, 14, false)
 */
import { openCardReader } from '@myna-ap/access';
import { openAppDb } from '@myna-ap/app-kit';
import { LibraryError } from './errors.ts';
import { pollFeed, type LoaderLink } from './feed.ts';
import { libraryRules } from './rules.ts';
import { buildLibraryServer } from './server.ts';
import { libraryMigrations } from './store.ts';

const env = process.env;
const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
const bool = (v: string | undefined) =>
  v === undefined || v === '' ? undefined : v === 'true' ? true : v === 'false' ? false : v;

function fail(en: string, ja: string): never {
  console.error(`library: ${ja}\nlibrary: ${en}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const aid = (env.LIBRARY_AID ?? '').toUpperCase();
  if (!/^[0-9A-F]{10,32}$/.test(aid))
    fail(
      'set LIBRARY_AID to the library’s type C card AP’s AID (hex), as the loading system approved it',
      '図書館の共通カードAP型のAID（16進数）を LIBRARY_AID に設定してください',
    );
  const rules = libraryRules(
    Object.fromEntries(
      Object.entries({
        maxLoans: num(env.LIBRARY_MAX_LOANS),
        loanDays: num(env.LIBRARY_LOAN_DAYS),
        lendWhileOverdue: bool(env.LIBRARY_LEND_WHILE_OVERDUE),
      }).filter(([, v]) => v !== undefined),
    ),
  );
  const loader: LoaderLink | undefined =
    env.LIBRARY_CLIENT_ID && env.LIBRARY_CLIENT_SECRET
      ? {
          server: env.MYNA_SERVER ?? 'http://127.0.0.1:8380',
          clientId: env.LIBRARY_CLIENT_ID,
          clientSecret: env.LIBRARY_CLIENT_SECRET,
        }
      : undefined;
  const db = await openAppDb({
    prefix: 'LIBRARY',
    dir: 'library-db',
    migrations: [libraryMigrations],
  });
  const reader = env.LIBRARY_READER;
  const app = buildLibraryServer({
    db,
    rules,
    aid,
    counter: () =>
      openCardReader(
        reader === undefined || reader === ''
          ? {}
          : { reader: /^\d+$/.test(reader) ? Number(reader) : reader },
      ),
    ...(loader ? { loader } : {}),
  });
  const url = await app.listen({
    host: env.LIBRARY_HOST ?? '127.0.0.1',
    port: num(env.LIBRARY_PORT) ?? 8391,
  });
  console.log(`図書館: ${url}/ (staff) — ${db.kind}`);
  if (!loader) {
    console.log(
      'library: 状態情報は取得しません（LIBRARY_CLIENT_ID, LIBRARY_CLIENT_SECRET が未設定） / no status feed: set LIBRARY_CLIENT_ID, LIBRARY_CLIENT_SECRET',
    );
    return;
  }
  const poll = async () => {
    try {
      const kept = await pollFeed(db, loader, aid);
      if (kept > 0) console.log(`library: status feed: ${kept} change(s)`);
    } catch (e) {
      const t = e instanceof LibraryError ? e.text : { en: String(e), ja: String(e) };
      console.error(`library: ${t.ja}\nlibrary: ${t.en}`);
    }
  };
  await poll();
  setInterval(() => void poll(), (num(env.LIBRARY_FEED_INTERVAL) ?? 300) * 1000).unref();
}

main().catch((e: unknown) => {
  const t = e instanceof LibraryError ? e.text : { en: String(e), ja: String(e) };
  fail(t.en, t.ja);
});
