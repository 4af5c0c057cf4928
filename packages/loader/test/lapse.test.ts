/** 失効 by the resident record (seed 004): each rule at its boundary, and bad input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoaderError } from '../src/errors.ts';
import {
  LAPSE_PERIODS,
  cardLapse,
  lapseText,
  type ResidentEvent,
} from '../src/domain/rules/lapse.ts';

const moveOut = (date: string, plannedDate: string): ResidentEvent => ({
  kind: 'move_out',
  date,
  plannedDate,
});
const moveIn = (date: string, movedOn: string): ResidentEvent => ({
  kind: 'move_in',
  date,
  movedOn,
});
const presented = (date: string): ResidentEvent => ({ kind: 'card_presented', date });

test('no events, or a move done in time with the card presented: the card stands', () => {
  assert.equal(cardLapse([], '2026-06-01'), null);
  const events = [
    moveOut('2026-04-01', '2026-04-10'),
    moveIn('2026-04-15', '2026-04-12'),
    presented('2026-05-01'),
  ];
  assert.equal(cardLapse(events, '2030-01-01'), null);
});

test('moving abroad and death lapse the card that day', () => {
  assert.deepEqual(cardLapse([{ kind: 'moved_abroad', date: '2026-03-03' }], '2026-03-03'), {
    on: '2026-03-03',
    reason: 'moved_abroad',
  });
  assert.equal(cardLapse([{ kind: 'died', date: '2026-03-03' }], '2026-03-02'), null, 'not yet');
  assert.deepEqual(cardLapse([{ kind: 'died', date: '2026-03-03' }], '2026-12-31'), {
    on: '2026-03-03',
    reason: 'died',
  });
});

test('no move-in within 30 days of the planned move-out: valid on the 30th day, lapsed on the 31st', () => {
  assert.equal(LAPSE_PERIODS.afterPlannedMoveOut, 30);
  const out = [moveOut('2026-04-01', '2026-04-10')];
  assert.equal(cardLapse(out, '2026-05-10'), null, '30 days after 4/10 is 5/10');
  assert.deepEqual(cardLapse(out, '2026-05-11'), { on: '2026-05-11', reason: 'no_move_in' });
  // A move-in notified on the 30th day saves it; on the 31st it is too late.
  assert.equal(cardLapse([...out, moveIn('2026-05-10', '2026-05-01')], '2026-05-20'), null);
  assert.deepEqual(cardLapse([...out, moveIn('2026-05-11', '2026-05-01')], '2026-05-20'), {
    on: '2026-05-11',
    reason: 'no_move_in',
  });
});

test('a move-in notified more than 14 days after moving in lapses the card from the 15th day', () => {
  const out = moveOut('2026-04-01', '2026-04-10');
  assert.equal(
    cardLapse([out, moveIn('2026-04-24', '2026-04-10')], '2026-04-30'),
    null,
    '14th day',
  );
  assert.deepEqual(cardLapse([out, moveIn('2026-04-25', '2026-04-10')], '2026-04-30'), {
    on: '2026-04-25',
    reason: 'move_in_late',
  });
  // Both late: the earlier day wins (moved in early, notified after 30 days of the plan).
  assert.deepEqual(cardLapse([out, moveIn('2026-05-20', '2026-04-01')], '2026-06-01'), {
    on: '2026-04-16',
    reason: 'move_in_late',
  });
  // Before the move-in is notified, nobody knows: the 30-day rule decides meanwhile.
  assert.equal(cardLapse([out], '2026-04-30'), null);
});

test('90 days at the new municipality without presenting the card, or moving out first', () => {
  assert.equal(LAPSE_PERIODS.toPresentCard, 90);
  const move = [moveOut('2026-04-01', '2026-04-10'), moveIn('2026-04-12', '2026-04-11')];
  assert.equal(cardLapse(move, '2026-07-11'), null, '90 days after 4/12 is 7/11');
  assert.deepEqual(cardLapse(move, '2026-07-12'), {
    on: '2026-07-12',
    reason: 'card_not_presented',
  });
  assert.equal(cardLapse([...move, presented('2026-07-11')], '2027-01-01'), null);
  assert.deepEqual(cardLapse([...move, moveOut('2026-05-01', '2026-05-05')], '2026-05-02'), {
    on: '2026-05-01',
    reason: 'moved_out_before_presenting',
  });
  // Presented, then moving again: a new move, with its own periods.
  const again = [...move, presented('2026-04-20'), moveOut('2026-05-01', '2026-05-05')];
  assert.equal(cardLapse(again, '2026-06-04'), null);
  assert.deepEqual(cardLapse(again, '2026-06-05'), { on: '2026-06-05', reason: 'no_move_in' });
});

test('events after asOf do not count; the order given does not matter', () => {
  const events = [
    presented('2026-05-01'),
    moveIn('2026-04-15', '2026-04-12'),
    moveOut('2026-04-01', '2026-04-10'),
  ];
  assert.equal(cardLapse(events, '2030-01-01'), null);
  assert.equal(cardLapse([{ kind: 'died', date: '2026-09-01' }], '2026-08-31'), null);
});

test('the reason in both languages, with the date', () => {
  const t = lapseText({ on: '2026-05-11', reason: 'no_move_in' });
  assert.match(t.en, /2026-05-11.*30 days/);
  assert.match(t.ja, /2026-05-11.*転出予定日から30日/);
});

test('bad dates are refused with VALIDATION, naming the field', () => {
  const bad = (events: ResidentEvent[], asOf = '2026-06-01', field = '') =>
    assert.throws(
      () => cardLapse(events, asOf),
      (e: unknown) =>
        e instanceof LoaderError && e.code === 'VALIDATION' && e.text.en.includes(field),
    );
  bad([], '2026-13-01', 'asOf');
  bad([{ kind: 'died', date: 'yesterday' }], '2026-06-01', 'died.date');
  bad([moveOut('2026-04-01', '2026-02-30')], '2026-06-01', 'move_out.plannedDate');
  bad([moveIn('2026-04-01', '')], '2026-06-01', 'move_in.movedOn');
});

test('every reason is told in both languages, with its period', () => {
  const cases = [
    ['moved_abroad', /moved abroad/, /国外に転出/],
    ['no_move_in', /30 days of the planned move-out/, /転出予定日から30日/],
    ['move_in_late', /more than 14 days after moving in/, /転入した日から14日/],
    ['card_not_presented', /within 90 days of the move-in/, /転入届から90日/],
    ['moved_out_before_presenting', /moved out of the new municipality/, /提出する前に転出/],
    ['died', /died/, /死亡/],
  ] as const;
  for (const [reason, en, ja] of cases) {
    const t = lapseText({ on: '2026-05-11', reason });
    assert.match(t.en, /^the card lapsed on 2026-05-11: /, reason);
    assert.match(t.en, en, reason);
    assert.match(t.ja, /^2026-05-11に失効しました/, reason);
    assert.match(t.ja, ja, reason);
  }
});

test('a bad date is refused even in an event after asOf; the Japanese text names the field', () => {
  assert.throws(
    () => cardLapse([moveOut('2026-07-01', '2026-02-30')], '2026-06-01'),
    (e: unknown) =>
      e instanceof LoaderError &&
      e.code === 'VALIDATION' &&
      e.text.en.includes('move_out.plannedDate') &&
      e.text.ja.includes('move_out.plannedDate') &&
      e.text.ja.includes('YYYY-MM-DD'),
  );
  assert.throws(
    () => cardLapse([moveIn('2026-07-01', '2026-13-01')], '2026-06-01'),
    (e: unknown) => e instanceof LoaderError && e.text.ja.includes('move_in.movedOn'),
  );
});

test('same-day events count in the order given', () => {
  const move = [moveOut('2026-04-01', '2026-04-10'), moveIn('2026-04-12', '2026-04-11')];
  // Presented, then moving out the same day: a new move, no lapse yet.
  const presentedFirst = [...move, presented('2026-05-01'), moveOut('2026-05-01', '2026-05-05')];
  assert.equal(cardLapse(presentedFirst, '2026-05-02'), null);
  // Moving out before presenting, the same day: the card lapses that day.
  const outFirst = [...move, moveOut('2026-05-01', '2026-05-05'), presented('2026-05-01')];
  assert.deepEqual(cardLapse(outFirst, '2026-05-02'), {
    on: '2026-05-01',
    reason: 'moved_out_before_presenting',
  });
});

test('a move-in with no move-out before it starts no wait; other events during a move count as themselves', () => {
  // From abroad, or a move-out that was never reported: no 90-day rule without a move.
  assert.equal(cardLapse([moveIn('2026-04-12', '2026-04-11')], '2027-01-01'), null);
  // Dying (or presenting the card) while a move-out waits is not a late move-in.
  assert.deepEqual(
    cardLapse(
      [moveOut('2026-04-01', '2026-04-10'), { kind: 'died', date: '2026-04-20' }],
      '2026-04-30',
    ),
    { on: '2026-04-20', reason: 'died' },
  );
  assert.equal(
    cardLapse([moveOut('2026-04-01', '2026-04-10'), presented('2026-04-05')], '2026-04-30'),
    null,
  );
});
