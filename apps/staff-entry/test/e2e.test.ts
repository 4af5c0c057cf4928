/**
 * Staff entry end to end, with the loading system of this repository: the
 * provider's administrator requests the staff card's two type D card APs (touch:
 * system-fixed PIN; PIN: the holder's), the platform approves them, the counter
 * loads both on the staff member's card with the PIN the holder chose; the staff
 * entry server gets an API client, the door terminals take the key packages over
 * the loader's HTTP API. A touch opens the office; the server room opens with the
 * PIN, a wrong PIN is refused with the tries left; the card is reported lost, the
 * server reads the feed, and the next touch is refused. Once in process, once with
 * the card in vpcd's virtual reader through pcscd (skipped with the reason where
 * pcscd or vpcd is missing; under CI=1 that fails instead).
 */
import assert from 'node:assert/strict';
import { keyPackageFrom } from '@myna-ap/access';
import { e2eTests, json, withLoader } from '@myna-ap/app-kit/testing';
import type { CardApId } from '@myna-ap/loader';
import { DoorTerminal } from '../src/terminal.ts';
import { startStaffEntry } from './world.ts';

/** A weekday morning in Japan: the loader's counter is open, and so is the office. */
const NOW = new Date('2026-06-01T10:00:00+09:00');
const HOLDER_PIN = '2468';

await e2eTests(
  'load, register, a touch, the PIN, a wrong PIN, report lost, refused after the feed',
  (reach) =>
    withLoader(NOW, async (l) => {
      // The staff card's two card APs: requested by the provider, approved by the platform.
      const ap = async (name: string, fixed: boolean) => {
        const req = await l.admin.call('requestCardAp', {
          body: {
            providerId: 'CHIYODA',
            name,
            type: 'D',
            areas: ['local'],
            size: 32,
            pin: { fixed, tries: 3 },
          },
        });
        return l.platform.call('approveCardAp', { params: { id: req.id }, body: {} });
      };
      const touchAp = await ap('職員証（タッチ）', true);
      const pinAp = await ap('職員証（PIN）', false);
      const { link, api } = await l.apiClient('職員証');
      const touchKeys = keyPackageFrom(
        await api.call('keyPackage', { params: { id: touchAp.id } }),
      );
      const pinKeys = keyPackageFrom(await api.call('keyPackage', { params: { id: pinAp.id } }));

      // カードAP搭載 at the counter: both on the staff member's card, with the PIN they chose.
      const { card, results } = await l.load([
        { cardApId: touchAp.id as CardApId },
        { cardApId: pinAp.id as CardApId, pin: new TextEncoder().encode(HOLDER_PIN) },
      ]);
      const [t, p] = results;

      const staff = await startStaffEntry({
        aids: [touchKeys.aid, pinKeys.aid],
        now: NOW,
        loader: link,
      });
      try {
        await json(
          await staff.admin('POST', '/staff', {
            staffNo: 'T-0042',
            name: '阿波 踊子',
            touchUserId: t!.userId,
            pinUserId: p!.userId,
          }),
          201,
        );
        await json(
          await staff.admin('POST', '/doors', { doorId: 'OFFICE', name: '執務室', level: 'low' }),
          201,
        );
        await json(
          await staff.admin('POST', '/doors', {
            doorId: 'SERVER',
            name: 'サーバ室',
            level: 'secure',
          }),
          201,
        );
        for (const doorId of ['OFFICE', 'SERVER'])
          await json(
            await staff.admin('POST', '/permissions', {
              staffNo: 'T-0042',
              doorId,
              days: [1, 2, 3, 4, 5],
              from: '08:30',
              to: '18:00',
            }),
            201,
          );
        const terminal = async (doorId: string) => {
          const r = await json(
            await staff.admin('POST', '/terminals', { terminalId: `at-${doorId}`, doorId }),
            201,
          );
          return new DoorTerminal({
            server: staff.url,
            token: r.token as string,
            touchKeys,
            pinKeys,
          });
        };
        const office = await terminal('OFFICE');
        const serverRoom = await terminal('SERVER');
        let asked = 0;
        const keypad = (pin: string) => async () => {
          asked++;
          return pin;
        };

        const channel = await (await reach.put(card))();
        try {
          const opened = await office.touch(channel, keypad('never'));
          assert.deepEqual(
            [opened.opened, opened.staffNo, asked],
            [true, 'T-0042', 0],
            'a touch, no PIN asked',
          );
          const wrong = await serverRoom.touch(channel, keypad('1357'));
          assert.deepEqual([wrong.opened, wrong.code, wrong.triesLeft], [false, 'PIN_WRONG', 2]);
          assert.match(wrong.message.ja, /残り 2 回/);
          const inside = await serverRoom.touch(channel, keypad(HOLDER_PIN));
          assert.deepEqual([inside.opened, inside.code], [true, 'OPENED']);

          // Three wrong PINs lock the PIN card AP: the next secure touch says so without
          // asking; the office still opens by a touch (the touch card AP has its own PIN).
          const tries: unknown[] = [];
          for (const pin of ['1111', '2222', '3333']) {
            const a = await serverRoom.touch(channel, keypad(pin));
            tries.push([a.code, a.triesLeft]);
          }
          // The third wrong PIN is the one that locks it: the card says so at once.
          assert.deepEqual(tries, [
            ['PIN_WRONG', 2],
            ['PIN_WRONG', 1],
            ['PIN_LOCKED', 0],
          ]);
          const askedBefore = asked;
          const locked = await serverRoom.touch(channel, keypad(HOLDER_PIN));
          assert.deepEqual([locked.opened, locked.code, asked], [false, 'PIN_LOCKED', askedBefore]);
          assert.match(locked.message.ja, /ロックされています/);
          assert.equal((await office.touch(channel, keypad('never'))).code, 'OPENED');

          // The call center reports the card lost; the staff entry server reads the feed.
          await l.reportLost(card);
          assert.deepEqual(await json(await staff.admin('POST', '/feed/poll'), 200), { kept: 2 });
          const lost = await office.touch(channel, keypad('never'));
          assert.deepEqual([lost.opened, lost.code], [false, 'CARD_LOST']);
          assert.match(lost.message.ja, /紛失の届出/);
          const lostSecure = await serverRoom.touch(channel, keypad(HOLDER_PIN));
          assert.equal(lostSecure.code, 'CARD_LOST');
        } finally {
          await channel.close();
        }
        const log = await json(await staff.admin('GET', '/log'), 200);
        const codes = (log.entries as { code: string }[]).map((e) => e.code);
        assert.deepEqual(log.verdict, { ok: true, rows: codes.length });
        assert.deepEqual(codes.slice(0, 5), [
          'OPENED',
          'PIN_WRONG',
          'OPENED',
          'PIN_WRONG',
          'PIN_WRONG',
        ]);
        assert.deepEqual(codes.slice(-5), [
          'PIN_LOCKED',
          'PIN_LOCKED',
          'OPENED',
          'CARD_LOST',
          'CARD_LOST',
        ]);
      } finally {
        await staff.close();
      }
    }),
);
