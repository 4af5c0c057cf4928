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
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Card } from '@myna-ap/card';
import { openCardReader, keyPackageFrom } from '@myna-ap/access';
import { buildServer, loadOnCard } from '@myna-ap/loader';
import { T, cardIdOf, newCard, setCardStatus, world } from '@myna-ap/loader/testing';
import { ApiClient } from '@myna-ap/loader/client';
import {
  InProcessChannel,
  pcscSkipReason,
  startPcscStack,
  type CardChannel,
} from '@myna-ap/transport';
import { HttpCity } from '../src/terminal.ts';
import { registerAt, startCity, tempDir, terminal } from './world.ts';

/** A weekday morning in Japan: the loader's counter is open (8:00–22:00). */
const NOW = new Date('2026-06-01T10:00:00+09:00');
const RIDE = { fareYen: 2000, boardInCity: true, alightInCity: true };

async function scenario(
  reach: (card: Card) => Promise<{ channel: CardChannel; done(): Promise<void> }>,
) {
  const w = await world({ now: NOW });
  const loader = buildServer(w.ctx, { logger: false });
  const loaderUrl = await loader.listen({ host: '127.0.0.1', port: 0 });
  try {
    // The provider's administrator makes the business system's API client.
    const admin = new ApiClient(loaderUrl, w.tokens.admin);
    const { client, secret } = await admin.call('createApiClient', {
      body: { providerId: 'CHIYODA', name: 'マイタク' },
    });
    assert.ok(secret, 'a client_secret client is answered with its secret');
    const token = await new ApiClient(loaderUrl).call('clientToken', {
      body: { grant_type: 'client_credentials', client_id: client.id, client_secret: secret },
    });
    const keyPackage = keyPackageFrom(
      await new ApiClient(loaderUrl, token.access_token).call('keyPackage', {
        params: { id: w.aps.D },
      }),
    );
    // 利用登録 at the counter: the card AP is loaded, its user ID registered with the city.
    const card = await newCard();
    const loaded = await loadOnCard(w.ctx, w.op, (b) => card.transmit(b), {
      terminalId: T,
      items: [{ cardApId: w.aps.D }],
      consent: { method: 'counter_form' },
    });
    const result = loaded.results[0];
    assert.equal(result?.status, 'loaded', JSON.stringify(loaded));
    const userId = (result as { userId: string }).userId;
    const city = await startCity({
      now: NOW,
      loader: { server: loaderUrl, clientId: client.id, clientSecret: secret, aid: keyPackage.aid },
    });
    try {
      assert.equal((await city.staff('POST', '/holders', { userId })).status, 201);
      const t = terminal(tempDir(), keyPackage, { clock: { now: NOW } });
      await registerAt(city, t);
      const { channel, done } = await reach(card);
      try {
        const ride = await t.touch(channel, RIDE);
        assert.equal(ride.userId, userId.toUpperCase());
        assert.equal(ride.subsidyYen, 1000);
        await t.sync(new HttpCity(city.url));
        // The call center reports the card lost; the city's server reads the feed.
        await setCardStatus(w.ctx, w.platform, cardIdOf(card) as never, {
          status: 'lost',
          source: 'call_center',
        });
        const polled = await city.staff('POST', '/feed/poll');
        assert.deepEqual(await polled.json(), { kept: 1 });
        // Until its next sync the offline terminal does not know…
        const before = await t.touch(channel, { ...RIDE, fareYen: 1000 });
        assert.equal(before.ridesToday, 2);
        await t.sync(new HttpCity(city.url));
        // …from then on it refuses the card.
        await assert.rejects(t.touch(channel, RIDE), { code: 'CARD_LOST' });
      } finally {
        await done();
      }
      const csv = await (
        await city.staff('GET', '/settlement.csv?from=2026-06-01&to=2026-06-01')
      ).text();
      assert.match(csv, /maebashi-kotsu,2026-06-01,2026-06-01,2,2,1500,0,0\r\n$/);
    } finally {
      await city.close();
    }
  } finally {
    await loader.close();
    await w.db.close();
  }
}

test('load, register, ride, report lost, refused after the feed — in process', () =>
  scenario(async (card) => ({ channel: new InProcessChannel(card), done: async () => {} })));

const skip = await pcscSkipReason();

test(
  'load, register, ride, report lost, refused after the feed — through pcscd + vpcd',
  { skip },
  () =>
    scenario(async (card) => {
      const stack = await startPcscStack();
      try {
        await stack.insert(card, 0);
        const channel = await openCardReader({ reader: 0 });
        return {
          channel,
          done: async () => {
            await channel.close();
            await stack.stop();
          },
        };
      } catch (e) {
        await stack.stop();
        throw e;
      }
    }),
);
