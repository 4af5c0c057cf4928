/**
 * The library end to end, with the loading system of this repository: the counter
 * loads the library's type C card AP (カードAP搭載) on the holder's card, the library's
 * server reads it by a touch and registers the holder, lends a book; the call center
 * reports the card lost, the library's API client reads the loader's status feed,
 * and the next touch is refused while the book still comes back without the card.
 * The holder's new card gets the card AP again — a new user ID — and the library
 * tells the staff the holder is already registered, then moves the registration to
 * it. Once in process, once with the cards in vpcd's virtual reader through pcscd
 * (skipped with the reason where pcscd or vpcd is missing; under CI=1 that fails).
 */
import assert from 'node:assert/strict';
import { e2eTests, json, withLoader, type LoaderWorld } from '@myna-ap/app-kit/testing';
import { startLibrary } from './world.ts';

/** A weekday morning in Japan: the loader's counter is open (8:00–22:00). */
const NOW = new Date('2026-06-01T10:00:00+09:00');
const YAMADA = { name: '山田 太郎', contact: '090-1234-5678' };

/** 利用登録の前段: the loading system loads the library's type C card AP on a new card. */
async function cardWithLibraryAp(l: LoaderWorld) {
  const { card, results } = await l.load([{ cardApId: l.w.aps.C }]);
  return { card, userId: results[0]!.userId!, aid: results[0]!.aid! };
}

await e2eTests(
  'load, register, lend, report lost, refused after the feed, a new card moved to',
  (reach) =>
    withLoader(NOW, async (l) => {
      // The provider's administrator makes the library's API client.
      const { link } = await l.apiClient('図書館');
      const first = await cardWithLibraryAp(l);
      const lib = await startLibrary({
        aid: first.aid,
        now: NOW,
        loader: link,
      });
      try {
        lib.slot.putChannel(await reach.put(first.card));
        const reg = await json(await lib.staff('POST', '/holders', YAMADA), 201);
        assert.equal(reg.userId, first.userId.toUpperCase());
        const holderNo = reg.holderNo as number;
        await json(await lib.staff('POST', '/holders', YAMADA), 409);
        for (const [bookId, title] of [
          ['B1', 'こころ'],
          ['B2', '三四郎'],
        ])
          await json(await lib.staff('POST', '/books', { bookId, title }), 201);
        await json(await lib.staff('POST', '/loans', { bookIds: ['B1'] }), 201);
        // Nothing in the feed yet.
        assert.deepEqual(await json(await lib.staff('POST', '/feed/poll'), 200), { kept: 0 });

        // The call center reports the card lost; the library reads the feed.
        await l.reportLost(first.card);
        assert.deepEqual(await json(await lib.staff('POST', '/feed/poll'), 200), { kept: 1 });
        const lost = await json(await lib.staff('POST', '/loans', { bookIds: ['B2'] }), 403);
        assert.equal(lost.code, 'CARD_LOST');
        assert.match((lost.message as { ja: string }).ja, /紛失の届出/);
        // The book comes back without the card.
        await json(await lib.staff('POST', '/returns', { bookIds: ['B1'] }), 200);

        // A new card, the library's card AP loaded again: a new user ID.
        const second = await cardWithLibraryAp(l);
        assert.notEqual(second.userId, first.userId);
        lib.slot.putChannel(await reach.put(second.card));
        const told = await json(await lib.staff('POST', '/holders', YAMADA), 409);
        assert.equal(told.code, 'POSSIBLY_REGISTERED');
        assert.match((told.message as { ja: string }).ja, new RegExp(`利用者番号 ${holderNo}`));
        const moved = await json(
          await lib.staff('POST', '/holders', { ...YAMADA, moveFrom: String(holderNo) }),
          201,
        );
        assert.deepEqual([moved.holderNo, moved.moved], [holderNo, true]);
        await json(await lib.staff('POST', '/loans', { bookIds: ['B2'] }), 201);
        const who = await json(await lib.staff('POST', '/touch'), 200);
        assert.deepEqual(
          (who.loans as { bookId: string }[]).map((l) => l.bookId),
          ['B2'],
        );
        // The old card stays refused (the feed says lost; its registration is retired too).
        lib.slot.putChannel(await reach.put(first.card));
        assert.equal((await json(await lib.staff('POST', '/touch'), 403)).code, 'CARD_LOST');
      } finally {
        await lib.close();
      }
    }),
);
