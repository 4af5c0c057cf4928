/**
 * The door terminal on an emulated card, against the server over HTTP: what it
 * says when the card cannot be read, when the staff card AP is not on the card,
 * and when the PIN typed is not a PIN (nothing sent to the card, nothing logged).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_USER_ID, cardWithCardAps } from '@myna-ap/access/testing';
import { TransportError, type CardChannel } from '@myna-ap/transport';
import { entries } from '../src/store.ts';
import { DoorTerminal } from '../src/terminal.ts';
import { startStaffEntry } from './world.ts';

const OTHER = 'A1A2A3A4A5A6A7A8A9AAABACAD';

test('the door terminal: unreadable card, card AP missing, a PIN that is not one', async () => {
  const { channel, keyPackages } = await cardWithCardAps();
  const s = await startStaffEntry({ aids: [keyPackages.D.aid, keyPackages.A.aid] });
  try {
    const post = async (path: string, body: unknown) => {
      const r = await s.admin('POST', path, body);
      assert.equal(r.status, 201, await r.clone().text());
      return (await r.json()) as Record<string, unknown>;
    };
    await post('/staff', {
      staffNo: 'S1',
      name: '吉野 川子',
      touchUserId: TEST_USER_ID,
      pinUserId: OTHER,
    });
    await post('/doors', { doorId: 'OFFICE', name: '執務室', level: 'low' });
    await post('/doors', { doorId: 'SERVER', name: 'サーバ室', level: 'secure' });
    await post('/permissions', {
      staffNo: 'S1',
      doorId: 'OFFICE',
      days: [1],
      from: '08:00',
      to: '20:00',
    });
    const token = async (doorId: string) =>
      (await post('/terminals', { terminalId: `t-${doorId}`, doorId })).token as string;
    const office = new DoorTerminal({
      server: s.url,
      token: await token('OFFICE'),
      touchKeys: keyPackages.D,
      pinKeys: keyPackages.A,
    });
    // The fixture's type D card AP is the touch one: the office opens.
    const opened = await office.touch(channel, async () => assert.fail('no PIN at a low door'));
    assert.deepEqual([opened.opened, opened.staffNo], [true, 'S1']);

    const gone: CardChannel = {
      transmit: async () => {
        throw new TransportError('CARD_REMOVED', {
          en: 'the card was removed',
          ja: 'カードが取り外されました',
        });
      },
      close: async () => {},
    } as unknown as CardChannel;
    await assert.rejects(
      office.touch(gone, async () => ''),
      (e: { code: string; text: { ja: string } }) =>
        e.code === 'CARD_READ_FAILED' && e.text.ja.includes('もう一度タッチ'),
    );
    const elsewhere = new DoorTerminal({
      server: s.url,
      token: await token('SERVER'),
      touchKeys: { ...keyPackages.D, aid: 'F04D594E4150000199' },
      pinKeys: keyPackages.A,
    });
    await assert.rejects(
      elsewhere.touch(channel, async () => '4321'),
      { code: 'CARD_AP_MISSING' },
    );
    const secure = new DoorTerminal({
      server: s.url,
      token: (await post('/terminals', { terminalId: 't-secure-2', doorId: 'SERVER' }))
        .token as string,
      touchKeys: keyPackages.D,
      pinKeys: keyPackages.A,
    });
    await assert.rejects(
      secure.touch(channel, async () => '12'),
      { code: 'BAD_REQUEST' },
    );
    assert.equal((await entries(s.db)).length, 1, 'only the opened touch was logged');
    const bad = new DoorTerminal({
      server: s.url,
      token: 'wrong',
      touchKeys: keyPackages.D,
      pinKeys: keyPackages.A,
    });
    await assert.rejects(
      bad.touch(channel, async () => ''),
      { code: 'TERMINAL_AUTH' },
    );
  } finally {
    await s.close();
  }
});
