/**
 * `npm start -w apps/taxi`: the city's マイタク server. Settings from the environment:
 *
 *   TAXI_PORT (8390), TAXI_HOST (127.0.0.1)
 *   DATABASE_URL (PostgreSQL) or TAXI_DATA_DIR (PGlite; default $MYNA_HOME/taxi-db)
 *   (staff sign in with their own accounts: `npm run accounts -w apps/taxi -- add LOGIN ROLE`)
 *   MYNA_SERVER, TAXI_CLIENT_ID, TAXI_CLIENT_SECRET, TAXI_AID
 *                         the loading system and its API client: the status feed
 *   TAXI_FEED_INTERVAL    seconds between feed polls (300)
 *   TAXI_DAILY_LIMIT, TAXI_YEARLY_LIMIT, TAXI_SUBSIDY_PERCENT, TAXI_SUBSIDY_CAP_YEN,
 *   TAXI_YEAR_START_MONTH the rules (2, 70, 50, 1000, 4)
 */
import { openAppDb } from '@myna-ap/app-kit';
import { TaxiError } from './errors.ts';
import { pollFeed, type LoaderLink } from './feed.ts';
import { taxiRules } from './rules.ts';
import { buildTaxiServer } from './server.ts';
import { taxiMigrations } from './store.ts';

const env = process.env;
const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));

function fail(en: string, ja: string): never {
  console.error(`taxi: ${ja}\ntaxi: ${en}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const rules = taxiRules(
    Object.fromEntries(
      Object.entries({
        dailyLimit: num(env.TAXI_DAILY_LIMIT),
        yearlyLimit: num(env.TAXI_YEARLY_LIMIT),
        subsidyPercent: num(env.TAXI_SUBSIDY_PERCENT),
        subsidyCapYen: num(env.TAXI_SUBSIDY_CAP_YEN),
        yearStartMonth: num(env.TAXI_YEAR_START_MONTH),
      }).filter(([, v]) => v !== undefined),
    ),
  );
  const loader: LoaderLink | undefined =
    env.TAXI_CLIENT_ID && env.TAXI_CLIENT_SECRET && env.TAXI_AID
      ? {
          server: env.MYNA_SERVER ?? 'http://127.0.0.1:8380',
          clientId: env.TAXI_CLIENT_ID,
          clientSecret: env.TAXI_CLIENT_SECRET,
          aid: env.TAXI_AID,
        }
      : undefined;
  const db = await openAppDb({ prefix: 'TAXI', dir: 'taxi-db', migrations: [taxiMigrations] });
  const app = buildTaxiServer({ db, rules, ...(loader ? { loader } : {}) });
  const url = await app.listen({
    host: env.TAXI_HOST ?? '127.0.0.1',
    port: num(env.TAXI_PORT) ?? 8390,
  });
  console.log(`マイタク: ${url}/ (staff) — ${db.kind}`);
  if (!loader) {
    console.log(
      'taxi: 状態情報は取得しません（TAXI_CLIENT_ID, TAXI_CLIENT_SECRET, TAXI_AID が未設定） / no status feed: set TAXI_CLIENT_ID, TAXI_CLIENT_SECRET, TAXI_AID',
    );
    return;
  }
  const poll = async () => {
    try {
      const kept = await pollFeed(db, loader);
      if (kept > 0) console.log(`taxi: status feed: ${kept} change(s)`);
    } catch (e) {
      const t = e instanceof TaxiError ? e.text : { en: String(e), ja: String(e) };
      console.error(`taxi: ${t.ja}\ntaxi: ${t.en}`);
    }
  };
  await poll();
  setInterval(() => void poll(), (num(env.TAXI_FEED_INTERVAL) ?? 300) * 1000).unref();
}

main().catch((e: unknown) => {
  const t = e instanceof TaxiError ? e.text : { en: String(e), ja: String(e) };
  fail(t.en, t.ja);
});
