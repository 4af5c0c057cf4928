/**
 * @myna-ap/loader/testing — a loading system with real emulated cards, for the
 * card-half tests and the load benches: a municipality (千代田区, where the
 * default test holder lives), its terminal and operators, and one approved card
 * AP of each type. Cards are made once per file (RSA keys and certificates are
 * slow) and cloned with fresh serials.
 */
import { randomBytes } from 'node:crypto';
import { toHex, type AreaName } from '@myna-ap/apdu';
import { Card, createCard, generateCardKeys, newFreeAreas, type CardImage } from '@myna-ap/card';
import { JpkiIssuer } from '@myna-ap/pki';
import type { Db } from '@myna-ap/db';
import type { Ctx, Session } from '../src/store/context.ts';
import { TEST_CONFIG } from '../src/store/config.ts';
import { MemoryKeyStore } from '../src/keys/keyStore.ts';
import {
  authenticate,
  bootstrapPlatformAdmin,
  createOperator,
  login,
} from '../src/store/operators.ts';
import { createProvider } from '../src/store/providers.ts';
import { createTerminal } from '../src/store/terminals.ts';
import { approveCardAp, requestCardAp } from '../src/store/cardAps.ts';
import { providerId, type CardApId, type TerminalId } from '../src/domain/ids.ts';
import type { CardApRequest } from '../src/domain/cardAp.ts';
import { freshPglite } from '@myna-ap/db/testing';
import { loaderMigrations } from '../src/migrations.ts';

export const CHIYODA = '131016';
export const T = 'counter-1' as TerminalId;
const PW = 'operator password 1';

export interface World {
  readonly db: Db;
  readonly ctx: Ctx;
  readonly platform: Session;
  readonly admin: Session;
  readonly op: Session;
  /** Approved card APs: C (extended), A (extended, holder's PIN), D (local, fixed PIN), custom (extended). */
  readonly aps: Readonly<Record<'C' | 'A' | 'D' | 'custom', CardApId>>;
  /** Session tokens of the three operators, for the HTTP API. */
  readonly tokens: Readonly<Record<'platform' | 'admin' | 'op', string>>;
  /** Sets the clock (default: a weekday at 10:00 JST). */
  setNow(d: Date): void;
}

export const REQUESTS: Readonly<Record<'C' | 'A' | 'D' | 'custom', CardApRequest>> = {
  C: { name: '図書館', type: 'C', areas: ['extended'], size: 33, initialData: '8103414243' },
  A: {
    name: '職員証',
    type: 'A',
    areas: ['extended'],
    size: 128,
    initialData: '01020304',
    pin: { fixed: false, tries: 3 },
  },
  D: {
    name: 'タクシー助成',
    type: 'D',
    areas: ['local'],
    size: 255,
    pin: { fixed: true, tries: 5 },
  },
  custom: {
    name: '独自',
    type: 'custom',
    areas: ['extended', 'local'],
    size: 600,
    template: 'single-protected',
  },
};

export async function world(
  opts: { db?: Db; keys?: MemoryKeyStore; now?: Date } = {},
): Promise<World> {
  const db = opts.db ?? (await freshPglite([loaderMigrations]));
  let clock = opts.now ?? new Date('2026-06-01T10:00:00+09:00');
  const ctx: Ctx = {
    db,
    config: TEST_CONFIG,
    keys: opts.keys ?? new MemoryKeyStore('test'),
    now: () => clock,
  };
  await bootstrapPlatformAdmin(ctx, 'platform admin pw');
  const platformToken = (await login(ctx, 'admin', 'platform admin pw')).token;
  const platform = await authenticate(ctx, platformToken);
  const chiyoda = await createProvider(ctx, platform, {
    id: providerId('CHIYODA'),
    name: '千代田区',
    kind: 'municipality',
    municipalityCode: CHIYODA,
    legalBasis: {
      kind: 'ordinance',
      reference: '千代田区個人番号カード利用条例',
      date: '2018-04-01',
    },
    contact: { name: '情報政策課' },
  });
  await createOperator(ctx, platform, {
    login: 'chiyoda-admin',
    displayName: '管理者',
    role: 'administrator',
    providerId: chiyoda.id,
    password: PW,
    terminals: [],
  });
  const admin0 = await authenticate(ctx, (await login(ctx, 'chiyoda-admin', PW)).token);
  await createTerminal(ctx, admin0, {
    id: T,
    providerId: chiyoda.id,
    name: '区民課窓口1',
    autoLoad: [],
  });
  await createOperator(ctx, admin0, {
    login: 'chiyoda-op',
    displayName: '搭載担当',
    role: 'loading_operator',
    providerId: chiyoda.id,
    password: PW,
    terminals: [T],
  });
  await createOperator(ctx, admin0, {
    login: 'chiyoda-admin2',
    displayName: '管理者（窓口）',
    role: 'administrator',
    providerId: chiyoda.id,
    password: PW,
    terminals: [T],
  });
  const adminToken = (await login(ctx, 'chiyoda-admin2', PW)).token;
  const opToken = (await login(ctx, 'chiyoda-op', PW)).token;
  const admin = await authenticate(ctx, adminToken);
  const op = await authenticate(ctx, opToken);
  const aps = {} as Record<'C' | 'A' | 'D' | 'custom', CardApId>;
  for (const k of ['C', 'A', 'D', 'custom'] as const) {
    const ap = await requestCardAp(ctx, admin, chiyoda.id, REQUESTS[k]);
    await approveCardAp(ctx, platform, ap.id);
    aps[k] = ap.id;
  }
  return {
    db,
    ctx,
    platform,
    admin,
    op,
    aps,
    tokens: { platform: platformToken, admin: adminToken, op: opToken },
    setNow: (d) => (clock = d),
  };
}

let base: Promise<CardImage> | undefined;

/** The image of one issued card (made once per process). */
export function baseImage(): Promise<CardImage> {
  base ??= (async () => {
    const made = await createCard({
      holder: {
        name: '番号 花子',
        address: '東京都千代田区千代田1番1号',
        birthDate: '1990-01-01',
        sex: '2',
      },
      certificates: await JpkiIssuer.createInMemory(),
      keys: await generateCardKeys(),
    });
    return made.image;
  })();
  return base;
}

/**
 * A card like the issued one with its own serial (and so its own free-area keys),
 * empty free areas, and the holder registered in `municipality`.
 */
export async function newCard(
  o: { municipality?: string; capacity?: Partial<Record<AreaName, number>> } = {},
): Promise<Card> {
  const img = structuredClone(await baseImage());
  const serial = new Uint8Array(randomBytes(16));
  const common = img.common as { files: Record<string, string> };
  common.files['0001'] = toHex(serial);
  common.files['0002'] = toHex(new TextEncoder().encode(o.municipality ?? CHIYODA));
  return Card.fromImage({
    ...img,
    freeAreas: newFreeAreas({ cardId: serial, ...(o.capacity ? { capacity: o.capacity } : {}) }),
  });
}

/** The card's serial as the loader names it. */
export function cardIdOf(card: Card): string {
  return (
    (card.image.common as { files: Record<string, string> }).files['0001'] ?? ''
  ).toUpperCase();
}

/** Another municipality with a terminal and a loading operator at it. */
export async function otherMunicipality(
  w: World,
  id: string,
  code: string,
): Promise<{ op: Session; admin: Session; terminal: TerminalId }> {
  await createProvider(w.ctx, w.platform, {
    id: providerId(id),
    name: id,
    kind: 'municipality',
    municipalityCode: code,
    legalBasis: { kind: 'ordinance', reference: `${id}条例`, date: '2018-04-01' },
    contact: { name: '情報政策課' },
  });
  const terminal = `${id.toLowerCase()}-1` as TerminalId;
  const adminLogin = `${id.toLowerCase()}-admin`;
  await createOperator(w.ctx, w.platform, {
    login: adminLogin,
    displayName: '管理者',
    role: 'administrator',
    providerId: providerId(id),
    password: PW,
    terminals: [],
  });
  const admin = await authenticate(w.ctx, (await login(w.ctx, adminLogin, PW)).token);
  await createTerminal(w.ctx, admin, {
    id: terminal,
    providerId: providerId(id),
    name: '窓口',
    autoLoad: [],
  });
  await createOperator(w.ctx, admin, {
    login: `${id.toLowerCase()}-op`,
    displayName: '搭載担当',
    role: 'loading_operator',
    providerId: providerId(id),
    password: PW,
    terminals: [terminal],
  });
  const op = await authenticate(w.ctx, (await login(w.ctx, `${id.toLowerCase()}-op`, PW)).token);
  return { op, admin, terminal };
}

/** The platform's card status setter, for tests of other packages that need a lost or suspended card. */
export { setCardStatus } from '../src/store/feed.ts';
