/**
 * The lending rules and the holder's details as pure functions: settings checked
 * whole, due days, overdue days, the limit and the overdue stop, and when two
 * registrations look like the same person.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_RULES,
  dayString,
  decideLend,
  dueDay,
  jstDayNumber,
  libraryRules,
  overdueDays,
} from '../src/rules.ts';
import { holderDetailsFrom, sameHolderKey } from '../src/holder.ts';

test('the default rules are 10 books for 14 days, none while overdue', () => {
  assert.deepEqual(libraryRules(), DEFAULT_RULES);
  assert.deepEqual(
    { ...libraryRules({ maxLoans: 5, loanDays: 21, lendWhileOverdue: true }) },
    { maxLoans: 5, loanDays: 21, lendWhileOverdue: true },
  );
  assert.ok(Object.isFrozen(libraryRules({ maxLoans: 3 })));
});

test('a bad setting is refused in both languages, not taken', () => {
  for (const bad of [
    { maxLoans: 0 },
    { maxLoans: 1.5 },
    { maxLoans: Number.NaN },
    { maxLoans: '10' },
    { loanDays: 0 },
    { loanDays: 366 },
    { lendWhileOverdue: 'false' },
  ])
    assert.throws(
      () => libraryRules(bad),
      (e: { code?: string; text?: { ja: string; en: string } }) =>
        e.code === 'RULES_INVALID' &&
        e.text!.ja.length > 0 &&
        e.text!.en.startsWith('library rules'),
      JSON.stringify(bad),
    );
});

test('days are counted in Japan time', () => {
  // 23:59 JST and 00:00 JST the next day are one day apart, though both are the same UTC day.
  const late = jstDayNumber(new Date('2026-06-01T23:59:00+09:00'));
  const next = jstDayNumber(new Date('2026-06-02T00:00:00+09:00'));
  assert.equal(next - late, 1);
  assert.equal(dayString(late), '2026-06-01');
  assert.equal(dayString(next), '2026-06-02');
  assert.throws(() => jstDayNumber(new Date('nope')), { code: 'BAD_REQUEST' });
});

test('a loan is due loanDays after the day lent; a day after that it is overdue', () => {
  const lent = jstDayNumber(new Date('2026-06-01T10:00:00+09:00'));
  const due = dueDay(lent, DEFAULT_RULES);
  assert.equal(dayString(due), '2026-06-15');
  assert.equal(overdueDays(due, due - 3), 0);
  assert.equal(overdueDays(due, due), 0, 'returned on the due day is on time');
  assert.equal(overdueDays(due, due + 1), 1);
  assert.equal(overdueDays(due, due + 30), 30);
});

test('lending: up to the limit, not past it; an overdue book stops a new loan unless allowed', () => {
  const today = 20_000;
  const r = DEFAULT_RULES;
  const nine = Array.from({ length: 9 }, () => today + 5);
  assert.deepEqual(decideLend([], 10, today, r), { ok: true, dueDay: today + 14 });
  assert.deepEqual(decideLend(nine, 1, today, r), { ok: true, dueDay: today + 14 });
  assert.deepEqual(decideLend(nine, 2, today, r), { ok: false, reason: 'LOAN_LIMIT', may: 1 });
  assert.deepEqual(decideLend([], 11, today, r), { ok: false, reason: 'LOAN_LIMIT', may: 10 });
  const ten = [...nine, today];
  assert.deepEqual(decideLend(ten, 1, today, r), { ok: false, reason: 'LOAN_LIMIT', may: 0 });
  // One book a day past due.
  assert.deepEqual(decideLend([today - 1], 1, today, r), {
    ok: false,
    reason: 'OVERDUE_HELD',
    may: 0,
  });
  // Due today is not overdue.
  assert.equal(decideLend([today], 1, today, r).ok, true);
  const lenient = libraryRules({ lendWhileOverdue: true, maxLoans: 2 });
  assert.deepEqual(decideLend([today - 1], 1, today, lenient), { ok: true, dueDay: today + 14 });
  assert.deepEqual(decideLend([today - 1], 2, today, lenient), {
    ok: false,
    reason: 'LOAN_LIMIT',
    may: 1,
  });
});

test('a holder’s details: trimmed, width folded, both needed, bounded', () => {
  assert.deepEqual(
    holderDetailsFrom({ name: '  山田　太郎 ', contact: '０９０-１２３４-５６７８' }),
    {
      name: '山田 太郎',
      contact: '090-1234-5678',
    },
  );
  for (const bad of [
    {},
    { name: '山田' },
    { name: '', contact: '090' },
    { name: '   ', contact: '090' },
    { name: 'x'.repeat(101), contact: '090' },
    { name: '山田', contact: 12345 },
  ])
    assert.throws(() => holderDetailsFrom(bad), { code: 'HOLDER_INVALID' }, JSON.stringify(bad));
});

test('the same person by name and contact, whatever the spacing, width, dashes or case', () => {
  const a = sameHolderKey(holderDetailsFrom({ name: '山田 太郎', contact: '090-1234-5678' }));
  assert.equal(
    a,
    sameHolderKey(holderDetailsFrom({ name: '山田太郎', contact: '（090）1234 5678' })),
  );
  assert.equal(
    sameHolderKey(holderDetailsFrom({ name: 'Taro Yamada', contact: 'Taro@Example.JP' })),
    sameHolderKey(holderDetailsFrom({ name: 'taro yamada', contact: 'taro@example.jp' })),
  );
  assert.notEqual(
    a,
    sameHolderKey(holderDetailsFrom({ name: '山田太郎', contact: '090-1234-5679' })),
  );
  assert.notEqual(
    a,
    sameHolderKey(holderDetailsFrom({ name: '山田花子', contact: '090-1234-5678' })),
  );
});
