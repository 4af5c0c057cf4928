/**
 * What "impossible to corrupt" means, as checks (issue 5, Consistency), shared by
 * the cut-channel, job-relay and kill-the-server tests:
 *
 * - card and database agree: every card AP on the card has exactly one `loaded`
 *   instance with the same area, AID, provider and the user ID actually written
 *   on the card (read back through the card AP itself, with its keys and PIN
 *   where it has them), and every `loaded` instance is on the card;
 * - no instance is left `pending` or `deleting`;
 * - no (card, AID) is live twice, no user ID appears twice in
 *   `card_ap_instances` (failed and deleted rows included), the audit chain verifies.
 *
 * Plus the transmit wrappers that cut the channel at APDU k.
 */
import assert from 'node:assert/strict';
import {
  cardApCardKeys,
  cardApFixedPin,
  fromHex,
  openCardAp,
  readCardAp,
  toHex,
  type Transmit,
} from '@myna-ap/apdu';
import { parseFreeAreas, type Card, type CardApImage, type FreeAreasImage } from '@myna-ap/card';
import { cardRemoved } from '@myna-ap/transport';
import type { Queryable } from '@myna-ap/db';
import type { LoaderKeyStore } from '../src/keys/keyStore.ts';
import { verifyAudit } from '../src/store/audit.ts';
import { cardIdOf } from './cardWorld.ts';

/** The holder's PIN the tests choose for card APs whose PIN is not system-fixed. */
export const HOLDER_PIN = new TextEncoder().encode('4321');

/** A pipe to an in-process card that counts the APDUs it carries. */
export function counting(card: Card): { transmit: Transmit; count: () => number } {
  let n = 0;
  return {
    transmit: (b) => {
      n++;
      return card.transmit(b);
    },
    count: () => n,
  };
}

/**
 * Where the cut falls: `before` the card sees APDU k (the command is lost), or
 * `after` the card processed it (the answer is lost). From k on, the card is gone.
 */
export type Cut = 'before' | 'after';

/** A pipe that lets exactly k − 1 APDUs through and fails at APDU k (see `Cut`). */
export function cutAt(
  card: Card,
  k: number,
  when: Cut,
): { transmit: Transmit; sent: () => number } {
  let n = 0;
  let seen = 0;
  return {
    transmit: (b) => {
      n++;
      if (n > k || (n === k && when === 'before')) throw cardRemoved();
      const res = card.transmit(b);
      seen++;
      if (n === k) throw cardRemoved();
      return res;
    },
    sent: () => seen,
  };
}

export function areasOf(card: Card): FreeAreasImage {
  return parseFreeAreas(card.image.freeAreas);
}

export function cardApsOn(card: Card): { area: 'local' | 'extended'; ap: CardApImage }[] {
  const a = areasOf(card);
  return [
    ...a.local.cardAps.map((ap) => ({ area: 'local' as const, ap })),
    ...a.extended.cardAps.map((ap) => ({ area: 'extended' as const, ap })),
  ];
}

/**
 * The card is atomic: comparing the free areas before an operation and after it
 * was cut, each area is unchanged but for card APs wholly added (among `mayAdd`,
 * and complete: see `assertComplete`) or wholly removed (among `mayRemove`).
 */
export function assertAtomic(
  before: FreeAreasImage,
  after: FreeAreasImage,
  o: { mayAdd?: readonly string[]; mayRemove?: readonly string[] },
  what: string,
): void {
  for (const area of ['local', 'extended'] as const) {
    const b = before[area];
    const a = after[area];
    assert.deepEqual({ ...a, cardAps: [] }, { ...b, cardAps: [] }, `${what}: ${area} area header`);
    for (const ap of b.cardAps) {
      const now = a.cardAps.find((x) => x.aid === ap.aid);
      if (now) assert.deepEqual(now, ap, `${what}: ${area} ${ap.aid} changed in place`);
      else
        assert.ok(
          o.mayRemove?.includes(ap.aid.toUpperCase()),
          `${what}: ${area} ${ap.aid} vanished`,
        );
    }
    for (const ap of a.cardAps) {
      if (b.cardAps.some((x) => x.aid === ap.aid)) continue;
      assert.ok(o.mayAdd?.includes(ap.aid.toUpperCase()), `${what}: ${area} ${ap.aid} appeared`);
      assertComplete(ap, `${what}: ${area} ${ap.aid}`);
    }
  }
}

/** A card AP as the card keeps it is whole: its user ID leads its content, all of it there. */
export function assertComplete(ap: CardApImage, what: string): void {
  assert.match(ap.userId, /^[0-9a-f]{26}$/, `${what}: user ID`);
  switch (ap.type) {
    case 'C':
      assert.ok(ap.binary?.startsWith(`800d${ap.userId}`), `${what}: type C content`);
      break;
    case 'D':
      assert.ok(ap.binary?.startsWith(ap.userId), `${what}: type D content`);
      assert.equal(ap.binary!.length, ap.size * 2, `${what}: type D size`);
      assert.ok(ap.keys && ap.pin, `${what}: type D keys and PIN`);
      break;
    case 'A':
      assert.equal(ap.records?.[0], ap.userId, `${what}: type A record 1`);
      assert.ok(ap.keys && ap.pin, `${what}: type A keys and PIN`);
      break;
    case 'custom':
      assert.ok(ap.efs?.[0]?.data.startsWith(ap.userId), `${what}: custom first EF`);
      assert.ok(ap.keys && ap.pin, `${what}: custom keys and PIN`);
      break;
  }
}

interface InstanceRow {
  id: string;
  area: string;
  aid: Uint8Array;
  user_id: Uint8Array;
  provider_id: string;
  state: string;
}

const hexU = (b: Uint8Array) => toHex(b).toUpperCase();

/** The user ID of a card AP as the card AP itself answers it (the access module's reads). */
export async function readUserId(
  card: Card,
  keys: LoaderKeyStore,
  ap: CardApImage,
): Promise<string> {
  const t: Transmit = (b) => card.transmit(b);
  const aid = fromHex(ap.aid);
  const serial = fromHex(cardIdOf(card));
  const master = keys.cardApMaster(aid);
  const cardKeys = cardApCardKeys(master, serial, aid);
  // The world's card APs: D has the system-fixed PIN, A and custom the holder's.
  const pin = ap.type === 'D' ? cardApFixedPin(master, serial, aid) : HOLDER_PIN;
  switch (ap.type) {
    case 'C':
      return hexU((await readCardAp(t, { aid, type: 'C' })).userId);
    case 'A':
    case 'D':
      return hexU((await readCardAp(t, { aid, type: ap.type, keys: cardKeys, pin })).userId);
    case 'custom': {
      const s = await openCardAp(t, { aid, keys: cardKeys, pin, level: 0x33 });
      const first = ap.efs?.[0];
      if (!first) throw new Error('custom card AP without EF');
      await s.selectEf(Number.parseInt(first.fid, 16));
      return hexU((await s.readBinary(13)).subarray(0, 13));
    }
  }
}

export interface Agreement {
  /** Loaded instances of the card (= card APs on the card). */
  readonly loaded: number;
}

/**
 * Card and database agree about `card` (see the file comment). `readBack`: also
 * read every user ID through the card AP (slower; the image is the card's truth).
 */
export async function assertAgreement(
  db: Queryable,
  keys: LoaderKeyStore,
  card: Card,
  what: string,
  o: { readBack?: boolean } = {},
): Promise<Agreement> {
  const cardId = cardIdOf(card);
  const rows = (
    await db.query<InstanceRow>(
      'SELECT id, area, aid, user_id, provider_id, state FROM card_ap_instances WHERE card_id = $1',
      [cardId],
    )
  ).rows;
  const open = rows.filter((r) => r.state === 'pending' || r.state === 'deleting');
  assert.deepEqual(
    open.map((r) => `${r.id} ${r.state}`),
    [],
    `${what}: no instance left pending or deleting`,
  );
  const loaded = rows
    .filter((r) => r.state === 'loaded')
    .map((r) => `${r.area} ${hexU(r.aid)} ${r.provider_id} ${hexU(r.user_id)}`)
    .sort();
  const onCard = cardApsOn(card);
  const seen = onCard
    .map(
      ({ area, ap }) =>
        `${area} ${ap.aid.toUpperCase()} ${new TextDecoder().decode(fromHex(ap.providerId))} ${ap.userId.toUpperCase()}`,
    )
    .sort();
  assert.deepEqual(seen, loaded, `${what}: the card's card APs are the DB's loaded instances`);
  assert.equal(
    new Set(onCard.map((x) => x.ap.aid)).size,
    onCard.length,
    `${what}: no card AP twice on the card`,
  );
  if (o.readBack) {
    for (const { ap } of onCard) {
      assert.equal(
        await readUserId(card, keys, ap),
        ap.userId.toUpperCase(),
        `${what}: user ID read back from ${ap.aid}`,
      );
    }
  }
  return { loaded: loaded.length };
}

/** Rules over the whole database: unique user IDs for ever, one live slot, the audit chain. */
export async function assertDbInvariants(db: Queryable, what: string): Promise<void> {
  const dupUser = await db.query<{ user_id: Uint8Array; n: number }>(
    'SELECT user_id, count(*)::int AS n FROM card_ap_instances GROUP BY user_id HAVING count(*) > 1',
  );
  assert.deepEqual(dupUser.rows, [], `${what}: no user ID twice`);
  const dupLive = await db.query<{ card_id: string; aid: Uint8Array; n: number }>(
    `SELECT card_id, aid, count(*)::int AS n FROM card_ap_instances
      WHERE state IN ('pending', 'loaded', 'deleting') GROUP BY card_id, aid HAVING count(*) > 1`,
  );
  assert.deepEqual(dupLive.rows, [], `${what}: no card AP live twice on a card`);
  const v = await verifyAudit(db);
  assert.equal(v.ok, true, `${what}: audit chain ${JSON.stringify(v)}`);
}
