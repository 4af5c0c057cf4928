/**
 * The card AP access module through the real stack: the emulated card in vpcd's
 * virtual reader, reached by openCardReader through pcscd (short APDUs, as most
 * readers carry). Reads of every type, a ride counted on type D, the PIN's tries,
 * and the reader emptied mid-session.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '@myna-ap/apdu';
import {
  pcscSkipReason,
  startPcscStack,
  type PcscStack,
  type VpcdBridge,
} from '@myna-ap/transport';
import {
  AccessError,
  cardApPinTriesLeft,
  connectCardAp,
  openCardReader,
  readCardAp,
} from '../src/index.ts';
import {
  TEST_CARD_AP_AID as AID,
  TEST_CARD_AP_PIN as PIN,
  TEST_USER_ID,
  cardWithCardAps,
  type CardWithCardAps,
} from './fixture.ts';

const skip = await pcscSkipReason();

describe('card APs through pcscd + vpcd', { skip }, () => {
  let stack: PcscStack;
  let bridge: VpcdBridge;
  let made: CardWithCardAps;

  before(async () => {
    made = await cardWithCardAps();
    stack = await startPcscStack();
    bridge = await stack.insert(made.card, 0);
  });
  after(async () => {
    await stack?.stop();
  });

  test('every type reads; a type D write lands on the card', async () => {
    const ch = await openCardReader({ reader: 0 });
    try {
      assert.equal((await readCardAp(ch, { aid: AID.C })).userId, TEST_USER_ID);
      const a = await readCardAp(ch, { aid: AID.A, keyPackage: made.keyPackages.A, pin: PIN });
      assert.equal(toHex(a.records![0]!), 'cafe');
      const d = await connectCardAp(ch, { aid: AID.D, keyPackage: made.keyPackages.D });
      await d.writeBinary(13, Uint8Array.of(0, 7));
      assert.equal(toHex((await d.read()).data.subarray(0, 4)), '0007beef');
      const x = await readCardAp(ch, {
        aid: AID.custom,
        keyPackage: made.keyPackages.custom,
        pin: PIN,
      });
      assert.equal(toHex(x.efs![1]!.data.subarray(0, 2)), '2222');
    } finally {
      await ch.close();
    }
    const image = made.card.image.freeAreas.extended.cardAps.find(
      (c) => c.aid === AID.D.toLowerCase(),
    );
    assert.equal(image?.binary?.slice(26, 30), '0007');
  });

  test('a wrong PIN counts down over PC/SC; the right one gives the tries back', async () => {
    const ch = await openCardReader({ reader: 0 });
    try {
      const e = await readCardAp(ch, { aid: AID.A, keyPackage: made.keyPackages.A, pin: '0000' })
        .then(() => undefined)
        .catch((x: unknown) => x);
      assert.ok(e instanceof AccessError && e.code === 'PIN_WRONG' && e.triesLeft === 2, String(e));
      assert.equal(await cardApPinTriesLeft(ch, AID.A), 2);
      await readCardAp(ch, { aid: AID.A, keyPackage: made.keyPackages.A, pin: PIN });
      assert.equal(await cardApPinTriesLeft(ch, AID.A), 3);
    } finally {
      await ch.close();
    }
  });

  test('the card taken out: CARD_REMOVED in the session, NO_CARD at the next open', async () => {
    const ch = await openCardReader({ reader: 0 });
    try {
      const d = await connectCardAp(ch, { aid: AID.D, keyPackage: made.keyPackages.D });
      await stack.eject(bridge);
      await assert.rejects(d.writeBinary(13, Uint8Array.of(0, 8)), (e: unknown) => {
        assert.ok(e instanceof AccessError, String(e));
        assert.equal(e.code, 'CARD_REMOVED', e.message);
        return true;
      });
    } finally {
      await ch.close();
    }
    await assert.rejects(openCardReader({ reader: 0 }), (e: unknown) => {
      assert.ok(e instanceof AccessError, String(e));
      assert.equal(e.code, 'NO_CARD', e.message);
      return true;
    });
  });
});
