/**
 * 失効: when a My Number Card lapses by the holder's resident record (seed 004,
 * "失効"), as a pure function of the resident system's events (住民記録システム).
 * The card lapses
 *
 * - when the holder moves abroad (海外に転出したとき), on that day;
 * - when, moving, no move-in is notified (転入届) within 30 days of the planned
 *   move-out (転出予定日) or 14 days of the day the holder moved in (転入した日);
 * - when, moved in, the holder does not present the card at the new municipality
 *   (カードの提出, 継続利用) within 90 days of the move-in, or moves out of it first;
 * - when the holder dies (死亡したとき), on that day.
 *
 * Periods count from the day after the event (民法第140条, the first day is not
 * counted): a card is still valid on the last day of its period and lapses the
 * day after. Dates are calendar days in Japan, `YYYY-MM-DD`.
 *
 * The seed's first rule predates the 2024 amendment that lets a holder keep the
 * card abroad after a procedure at the embassy or the municipality (国外転出者による
 * カード利用); that procedure is not modelled here, so moving abroad lapses the card.
 */
import { parseIsoDate } from '@myna-ap/profile';
import { LoaderError } from '../../errors.ts';

/** Days of each period of the seed. */
export const LAPSE_PERIODS = {
  /** 転出予定日から30日 */
  afterPlannedMoveOut: 30,
  /** 転入した日から14日 */
  afterMovingIn: 14,
  /** 転入届から90日, without presenting the card */
  toPresentCard: 90,
} as const;

/** An event of the holder's resident record, as the resident system reports it. */
export type ResidentEvent =
  /** 国外転出 */
  | { readonly kind: 'moved_abroad'; readonly date: string }
  /** 転出届: notified on `date`, moving out on `plannedDate` (転出予定日). */
  | { readonly kind: 'move_out'; readonly date: string; readonly plannedDate: string }
  /** 転入届: notified on `date`, the holder moved in on `movedOn` (転入した日). */
  | { readonly kind: 'move_in'; readonly date: string; readonly movedOn: string }
  /** カードの提出 at the new municipality (継続利用の手続き). */
  | { readonly kind: 'card_presented'; readonly date: string }
  /** 死亡 */
  | { readonly kind: 'died'; readonly date: string };

export type LapseReason =
  | 'moved_abroad'
  | 'no_move_in'
  | 'move_in_late'
  | 'card_not_presented'
  | 'moved_out_before_presenting'
  | 'died';

export interface Lapse {
  /** The first day the card is no longer valid. */
  readonly on: string;
  readonly reason: LapseReason;
}

const WHY: Readonly<Record<LapseReason, { en: string; ja: string }>> = {
  moved_abroad: { en: 'the holder moved abroad', ja: '国外に転出したため' },
  no_move_in: {
    en: `no move-in was notified within ${LAPSE_PERIODS.afterPlannedMoveOut} days of the planned move-out`,
    ja: `転出予定日から${LAPSE_PERIODS.afterPlannedMoveOut}日を経過しても転入届がなかったため`,
  },
  move_in_late: {
    en: `the move-in was notified more than ${LAPSE_PERIODS.afterMovingIn} days after moving in`,
    ja: `転入した日から${LAPSE_PERIODS.afterMovingIn}日を経過して転入届が行われたため`,
  },
  card_not_presented: {
    en: `the card was not presented at the new municipality within ${LAPSE_PERIODS.toPresentCard} days of the move-in`,
    ja: `転入届から${LAPSE_PERIODS.toPresentCard}日を経過してもカードの提出がなかったため`,
  },
  moved_out_before_presenting: {
    en: 'the holder moved out of the new municipality before presenting the card there',
    ja: '転入先でカードを提出する前に転出したため',
  },
  died: { en: 'the holder died', ja: '死亡したため' },
};

/** Why a card lapsed, in both languages (for the audit note and messages). */
export function lapseText(l: Lapse): { en: string; ja: string } {
  return {
    en: `the card lapsed on ${l.on}: ${WHY[l.reason].en}`,
    ja: `${l.on}に失効しました（${WHY[l.reason].ja}）`,
  };
}

function day(s: string, what: string): number {
  const d = parseIsoDate(s);
  if (!d) {
    throw new LoaderError(
      'VALIDATION',
      {
        en: `${what} must be a date YYYY-MM-DD, got ${JSON.stringify(s)}`,
        ja: `${what}はYYYY-MM-DD形式の日付で指定してください（${JSON.stringify(s)}）`,
      },
      400,
    );
  }
  return d.getTime() / 86_400_000;
}

const iso = (n: number) => new Date(n * 86_400_000).toISOString().slice(0, 10);

/** The day after the last day of a period of `days` counted from the day after `from`. */
const lapsesAfter = (from: number, days: number) => from + days + 1;

/**
 * Whether and when the card lapsed by `asOf`, from the holder's resident events
 * since the card was issued (any order; same-day events in the order given).
 * `null` while the card stands. Throws `VALIDATION` for a date that is not one.
 */
export function cardLapse(events: readonly ResidentEvent[], asOf: string): Lapse | null {
  const today = day(asOf, 'asOf');
  for (const e of events) {
    if (e.kind === 'move_out') day(e.plannedDate, 'move_out.plannedDate');
    if (e.kind === 'move_in') day(e.movedOn, 'move_in.movedOn');
  }
  // Array sort is stable: same-day events keep the order given.
  const sorted = events
    .map((e) => ({ e, at: day(e.date, `${e.kind}.date`) }))
    .sort((a, b) => a.at - b.at);
  // A move-out waiting for its move-in, and a move-in waiting for the card.
  let moveOut: { planned: number } | undefined;
  let moveIn: { notified: number } | undefined;
  // The earliest lapse a pending period brings, if nothing happens before it.
  const due = (): Lapse | undefined => {
    if (moveOut)
      return {
        on: iso(lapsesAfter(moveOut.planned, LAPSE_PERIODS.afterPlannedMoveOut)),
        reason: 'no_move_in',
      };
    if (moveIn)
      return {
        on: iso(lapsesAfter(moveIn.notified, LAPSE_PERIODS.toPresentCard)),
        reason: 'card_not_presented',
      };
    return undefined;
  };
  const lapse = (l: Lapse | undefined, by: number) =>
    // Stryker disable next-line StringLiteral: l.on is a date made by iso(), never refused
    l !== undefined && day(l.on, 'lapse') <= by ? l : undefined;

  for (const { e, at } of sorted) {
    if (at > today) break;
    // A move-in notified too late lapses the card from the 15th day after moving in,
    // unless the 30 days after the planned move-out ran out before that.
    const late: Lapse | undefined =
      e.kind === 'move_in' && moveOut
        ? {
            // Stryker disable next-line StringLiteral: movedOn was checked before the loop
            on: iso(lapsesAfter(day(e.movedOn, 'move_in.movedOn'), LAPSE_PERIODS.afterMovingIn)),
            reason: 'move_in_late',
          }
        : undefined;
    // Stryker disable next-line MethodExpression: sort() puts undefined last without comparing it
    const first = [lapse(due(), at), lapse(late, at)]
      // Stryker disable next-line ConditionalExpression: the same (sort puts undefined last)
      .filter((l): l is Lapse => l !== undefined)
      .sort((x, y) => x.on.localeCompare(y.on))[0];
    if (first) return first;
    switch (e.kind) {
      case 'moved_abroad':
      case 'died':
        return { on: e.date, reason: e.kind };
      case 'move_out': {
        if (moveIn) return { on: e.date, reason: 'moved_out_before_presenting' };
        // Stryker disable next-line StringLiteral: plannedDate was checked before the loop
        moveOut = { planned: day(e.plannedDate, 'move_out.plannedDate') };
        break;
      }
      case 'move_in':
        // A move-in with no move-out before it (from abroad, or not reported) starts no wait.
        if (moveOut) moveIn = { notified: at };
        moveOut = undefined;
        break;
      case 'card_presented':
        moveIn = undefined;
        break;
    }
  }
  return lapse(due(), today) ?? null;
}
