/**
 * マイタク end to end, with the loading system of this repository: the city's counter
 * loads the taxi card AP (type D, system-fixed PIN) on the holder's card and
 * registers the user ID; the city's server gets an API client and takes the key
 * package over the loader's HTTP API; the in-car terminal counts rides offline; the
 * card is reported lost, the city reads the loader's status feed with its client
 * token, the terminal syncs, and the next touch is refused. Once in process, once
 * with the card in vpcd's virtual reader through pcscd (skipped with the reason
 * where pcscd or vpcd is missing; under CI=1 that fails instead).
 */
import assert from 'node:assert/strict';
import { keyPackageFrom } from '@myna-ap/access';
import { e2eTests, withLoader } from '@myna-ap/app-kit/testing';
import { HttpCity } from '../src/terminal.ts';
import { registerAt, startCity, tempDir, terminal } from './world.ts';

/** A weekday morning in Japan: the loader's counter is open (8:00–22:00). */
const NOW = new Date('2026-06-01T10:00:00+09:00');
const RIDE = { fareYen: 2000, boardInCity: true, alightInCity: true };

await e2eTests('load, register, ride, report lost, refused after the feed', (reach) =>
  withLoader(NOW, async (l) => {
    // The provider's administrator makes the business system's API client.
    const { link, api } = await l.apiClient('マイタク');
    const keyPackage = keyPackageFrom(await api.call('keyPackage', { params: { id: l.w.aps.D } }));
    // 利用登録 at the counter: the card AP is loaded, its user ID registered with the city.
    const { card, results } = await l.load([{ cardApId: l.w.aps.D }]);
    const userId = results[0]!.userId!;
    const city = await startCity({ now: NOW, loader: { ...link, aid: keyPackage.aid } });
    try {
      assert.equal((await city.staff('POST', '/holders', { userId })).status, 201);
      const t = terminal(tempDir(), keyPackage, { clock: { now: NOW } });
      await registerAt(city, t);
      const channel = await (await reach.put(card))();
      try {
        const ride = await t.touch(channel, RIDE);
        assert.equal(ride.userId, userId.toUpperCase());
        assert.equal(ride.subsidyYen, 1000);
        await t.sync(new HttpCity(city.url));
        // The call center reports the card lost; the city's server reads the feed.
        await l.reportLost(card);
        const polled = await city.staff('POST', '/feed/poll');
        assert.deepEqual(await polled.json(), { kept: 1 });
        // Until its next sync the offline terminal does not know…
        const before = await t.touch(channel, { ...RIDE, fareYen: 1000 });
        assert.equal(before.ridesToday, 2);
        await t.sync(new HttpCity(city.url));
        // …from then on it refuses the card.
        await assert.rejects(t.touch(channel, RIDE), { code: 'CARD_LOST' });
      } finally {
        await channel.close();
      }
      const csv = await (
        await city.staff('GET', '/settlement.csv?from=2026-06-01&to=2026-06-01')
      ).text();
      assert.match(csv, /maebashi-kotsu,2026-06-01,2026-06-01,2,2,1500,0,0\r\n$/);
    } finally {
      await city.close();
    }
  }),
);
