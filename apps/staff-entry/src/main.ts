/**
 * `npm start -w apps/staff-entry`: the staff entry server (the door terminals talk to
 * it; src/terminal.ts is their side). Settings from the environment:
 *
 *   STAFF_PORT (8392), STAFF_HOST (127.0.0.1)
 *   DATABASE_URL (PostgreSQL) or STAFF_DATA_DIR (PGlite; default $MYNA_HOME/staff-entry-db)
 *   (staff sign in with their own accounts: `npm run accounts -w apps/staff-entry -- add LOGIN ROLE`)
 *   STAFF_AIDS              the staff card's two type D card APs (touch, PIN), comma-separated; required
 *   MYNA_SERVER, STAFF_CLIENT_ID, STAFF_CLIENT_SECRET
 *                           the loading system and the API client: the status feed
 *   STAFF_FEED_INTERVAL     seconds between feed polls (60)
 */
import { openAppDb } from '@myna-ap/app-kit';
import { StaffError } from './errors.ts';
import { pollFeed, type LoaderLink } from './feed.ts';
import { buildStaffServer } from './server.ts';
import { staffMigrations } from './store.ts';

const env = process.env;
const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));

function fail(en: string, ja: string): never {
  console.error(`staff-entry: ${ja}\nstaff-entry: ${en}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const aids = (env.STAFF_AIDS ?? '').split(',').map((a) => a.trim().toUpperCase());
  if (aids.length !== 2 || !aids.every((a) => /^[0-9A-F]{10,32}$/.test(a)))
    fail(
      'set STAFF_AIDS to the AIDs of the staff card’s two type D card APs (touch, PIN), comma-separated',
      '職員証の業務タイプDカードAP 2つ（タッチ用、PIN用）のAIDをカンマ区切りで STAFF_AIDS に設定してください',
    );
  const loader: LoaderLink | undefined =
    env.STAFF_CLIENT_ID && env.STAFF_CLIENT_SECRET
      ? {
          server: env.MYNA_SERVER ?? 'http://127.0.0.1:8380',
          clientId: env.STAFF_CLIENT_ID,
          clientSecret: env.STAFF_CLIENT_SECRET,
        }
      : undefined;
  const db = await openAppDb({
    prefix: 'STAFF',
    dir: 'staff-entry-db',
    migrations: [staffMigrations],
  });
  const app = buildStaffServer({ db, aids, ...(loader ? { loader } : {}) });
  const url = await app.listen({
    host: env.STAFF_HOST ?? '127.0.0.1',
    port: num(env.STAFF_PORT) ?? 8392,
  });
  console.log(`入退室管理: ${url}/ (admin) — ${db.kind}`);
  if (!loader) {
    console.log(
      'staff-entry: 状態情報は取得しません（STAFF_CLIENT_ID, STAFF_CLIENT_SECRET が未設定）。紛失したカードを拒否できません / no status feed: set STAFF_CLIENT_ID, STAFF_CLIENT_SECRET — lost cards are not refused',
    );
    return;
  }
  const poll = async () => {
    try {
      const kept = await pollFeed(db, loader, aids);
      if (kept > 0) console.log(`staff-entry: status feed: ${kept} change(s)`);
    } catch (e) {
      const t = e instanceof StaffError ? e.text : { en: String(e), ja: String(e) };
      console.error(`staff-entry: ${t.ja}\nstaff-entry: ${t.en}`);
    }
  };
  await poll();
  setInterval(() => void poll(), (num(env.STAFF_FEED_INTERVAL) ?? 60) * 1000).unref();
}

main().catch((e: unknown) => {
  const t = e instanceof StaffError ? e.text : { en: String(e), ja: String(e) };
  fail(t.en, t.ja);
});
