/**
 * Anti-tearing: the host vanishes (power off) after each APDU of an install and
 * of a delete; the card, saved and reloaded, is exactly in the old or the new
 * state — never between — and the old state holds until the commit point.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deleteCommand, installCommands, readCardAp, type Transmit } from '@myna-ap/apdu';
import type { Card } from '@myna-ap/card';
import {
  KEYS_B,
  PIN,
  blankCard,
  install,
  openArea,
  reloaded,
  specC,
  specD,
  tx,
  uid,
} from './freeAreaKit.ts';

class Cut extends Error {}

const noSalt = (json: string) => json.replace(/"salt":"[0-9a-f]+","digest":"[0-9a-f]+"/g, '"pin"');

/** A transmit that lets `n` APDUs through, then the reader is gone. */
function cutAfter(card: Card, n: number): Transmit {
  let sent = 0;
  return (b) => {
    if (sent++ >= n) throw new Cut();
    return card.transmit(b);
  };
}

const areaState = (card: Card) => JSON.stringify(card.image.freeAreas.extended);

async function runInstall(t: Transmit, spec: ReturnType<typeof specD>): Promise<number> {
  const s = await openArea(t, 'extended');
  return install(s, spec, 64);
}

test('install of N APDUs cut at every boundary 0..N: old state or new state', async () => {
  const spec = specD(
    40,
    uid(),
    Uint8Array.from({ length: 230 }, (_, i) => i),
  );
  // SELECT + INITIALIZE UPDATE + EXTERNAL AUTHENTICATE + INSTALL + STORE DATA blocks
  const n = 3 + installCommands(spec, 64).length;
  assert.ok(n >= 7, `${n} APDUs`);
  const base = blankCard();
  await install(await openArea(tx(base), 'extended'), specC(41));
  const oldState = areaState(base);
  const done = reloaded(base);
  assert.equal(await runInstall(tx(done), spec), 0x9000);
  const newState = areaState(done);
  assert.notEqual(oldState, newState);

  for (let k = 0; k <= n; k++) {
    const card = reloaded(base);
    const gen = card.generation;
    try {
      await runInstall(cutAfter(card, k), spec);
    } catch (e) {
      assert.ok(e instanceof Cut, String(e));
    }
    card.powerOff();
    const after = reloaded(card);
    const state = areaState(after);
    if (k < n) {
      assert.equal(state, oldState, `cut after ${k} of ${n} APDUs: old state`);
      assert.equal(card.generation, gen, 'nothing persistent changed before the commit');
    } else {
      // the PIN salt is random per install; everything else is byte for byte the same
      assert.equal(noSalt(state), noSalt(newState), 'all APDUs: new state');
      const parsed = JSON.parse(state) as { cardAps: { aid: string }[] };
      assert.equal(parsed.cardAps.length, 2);
      const r = await readCardAp(tx(after), { aid: spec.aid, type: 'D', keys: KEYS_B, pin: PIN });
      assert.deepEqual(r.userId, spec.userId);
    }
    // after a cut the card works: the install can be run again to completion
    if (k < n) assert.equal(await runInstall(tx(after), spec), 0x9000);
  }
});

test('staged blocks do not survive a reset between STORE DATA blocks', async () => {
  const card = blankCard();
  const spec = specD(42);
  const cmds = installCommands(spec, 64);
  let s = await openArea(tx(card), 'extended');
  assert.equal((await s.send(cmds[0]!)).sw, 0x9000);
  assert.equal((await s.send(cmds[1]!)).sw, 0x9000);
  card.reset();
  s = await openArea(tx(card), 'extended');
  // the rest of the blocks alone is refused: no staged INSTALL any more
  assert.equal((await s.send(cmds[2]!)).sw, 0x6985);
  assert.equal(card.image.freeAreas.extended.cardAps.length, 0);
});

test('delete cut at every boundary: old state or new state', async () => {
  const base = blankCard();
  const spec = specD(43);
  assert.equal(await install(await openArea(tx(base), 'extended'), spec), 0x9000);
  const oldState = areaState(base);
  const run = async (t: Transmit) =>
    (await (await openArea(t, 'extended')).send(deleteCommand(spec.aid))).sw;
  const n = 4; // SELECT, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, DELETE
  for (let k = 0; k <= n; k++) {
    const card = reloaded(base);
    try {
      await run(cutAfter(card, k));
    } catch (e) {
      assert.ok(e instanceof Cut);
    }
    card.powerOff();
    const after = reloaded(card);
    const state = JSON.parse(areaState(after)) as { cardAps: unknown[] };
    if (k < n) assert.equal(areaState(after), oldState, `cut after ${k}`);
    else assert.equal(state.cardAps.length, 0);
  }
});
