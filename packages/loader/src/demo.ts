/**
 * The demo (what `npm start` serves): a made-up municipality (千代田区, where the
 * demo card's holder lives), its terminal, an administrator working at it, and
 * an approved type C card AP (a library card) in the terminal's auto-load
 * preset, so that `myna load --card demo/card.json` loads it with nothing to
 * choose. Seeded once per database, by the server process itself (like the first
 * platform operator); the demo operator's password is kept in
 * `$MYNA_HOME/demo.json` (0600) so every start can log in as it.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { LoaderError } from './errors.ts';
import { providerId, type TerminalId } from './domain/ids.ts';
import type { Ctx, Session } from './store/context.ts';
import {
  authenticate,
  createOperator,
  login,
  platformAdminId,
  type LoginResult,
} from './store/operators.ts';
import { createProvider, findProvider } from './store/providers.ts';
import { createTerminal, setAutoLoad } from './store/terminals.ts';
import { approveCardAp, listCardAps, requestCardAp } from './store/cardAps.ts';
import { setServiceHours } from './store/settings.ts';

export const DEMO = {
  provider: 'DEMO-CHIYODA',
  municipality: '131016', // 千代田区: the demo card's holder is registered there
  terminal: 'demo-counter' as TerminalId,
  operator: 'demo-admin',
  cardApName: 'デモ図書館カード (demo library card)',
} as const;

export interface DemoInfo {
  readonly providerId: string;
  readonly terminalId: string;
  readonly operator: string;
  readonly cardApId: string;
  readonly aid: string;
  /** A session of the demo operator, for the CLI's credentials. */
  readonly login: LoginResult;
}

/** The platform operator made at first start, acting for the server's own set-up. */
async function setupSession(ctx: Ctx): Promise<Session> {
  const id = await platformAdminId(ctx);
  if (!id) {
    throw new LoaderError('DEMO_NO_PLATFORM', {
      en: 'the demo needs the platform operator `admin` made at first start',
      ja: 'デモには初回起動時に作成される機構オペレーター admin が必要です',
    });
  }
  return {
    operatorId: id,
    login: 'admin',
    role: 'platform',
    providerId: null,
    terminals: [],
    expiresAt: new Date(Date.now() + 60_000),
  };
}

async function readSecret(file: string): Promise<string | undefined> {
  try {
    const j = JSON.parse(await readFile(file, 'utf8')) as { password?: unknown };
    return typeof j.password === 'string' ? j.password : undefined;
  } catch {
    return undefined;
  }
}

async function writeSecret(file: string, password: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify({ operator: DEMO.operator, password }, null, 2) + '\n', {
    mode: 0o600,
  });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

/** Seeds the demo on first use (idempotent) and logs the demo operator in. */
export async function seedDemo(ctx: Ctx, secretFile: string): Promise<DemoInfo> {
  const platform = await setupSession(ctx);
  let password = await readSecret(secretFile);
  if (!(await findProvider(ctx.db, DEMO.provider))) {
    const p = await createProvider(ctx, platform, {
      id: providerId(DEMO.provider),
      name: '千代田区（デモ）',
      kind: 'municipality',
      municipalityCode: DEMO.municipality,
      legalBasis: {
        kind: 'ordinance',
        reference: 'デモ用の架空の条例 (a made-up ordinance)',
        date: '2018-04-01',
      },
      contact: { name: 'myna-ap demo' },
    });
    await createTerminal(ctx, platform, {
      id: DEMO.terminal,
      providerId: p.id,
      name: 'デモ窓口 (demo counter)',
      autoLoad: [],
    });
    password = randomBytes(18).toString('base64url');
    await createOperator(ctx, platform, {
      login: DEMO.operator,
      displayName: 'デモ管理者 (demo administrator)',
      role: 'administrator',
      providerId: p.id,
      password,
      terminals: [DEMO.terminal],
    });
    await writeSecret(secretFile, password);
    const admin = await authenticate(ctx, (await login(ctx, DEMO.operator, password)).token);
    // 81 07 "MYNA-LB": the provider's own item after the user ID (≤ 18 bytes in a type C).
    const ap = await requestCardAp(ctx, admin, p.id, {
      name: DEMO.cardApName,
      type: 'C',
      areas: ['extended'],
      size: 33,
      initialData: Buffer.from([0x81, 0x07, ...Buffer.from('MYNA-LB')]).toString('hex'),
    });
    await approveCardAp(ctx, platform, ap.id);
    await setAutoLoad(ctx, admin, DEMO.terminal, [{ cardApId: ap.id, area: 'extended' }]);
    // The demo is tried at any hour; a real deployment keeps 8:00–22:00, closed 12/29–1/3.
    await setServiceHours(ctx, platform, { open: '0:00', close: '24:00', closed: [] });
  }
  if (!password) {
    throw new LoaderError('DEMO_SECRET_MISSING', {
      en: `the demo operator's password file ${secretFile} is missing: remove the database directory to start the demo afresh`,
      ja: `デモ用オペレーターのパスワードファイル ${secretFile} がありません。データベースのディレクトリを削除してやり直してください`,
    });
  }
  const session = await login(ctx, DEMO.operator, password);
  const s = await authenticate(ctx, session.token);
  const ap = (await listCardAps(ctx, s, { providerId: DEMO.provider, status: 'approved' }))[0];
  if (!ap?.aid) throw new Error('demo card AP missing');
  return {
    providerId: DEMO.provider,
    terminalId: DEMO.terminal,
    operator: DEMO.operator,
    cardApId: ap.id,
    aid: ap.aid,
    login: session,
  };
}
