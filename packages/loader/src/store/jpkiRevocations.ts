/**
 * JPKI revocations into the status feed by themselves: a revocation for loss
 * (紛失) recorded by the JPKI issuer marks the card lost, with no call to the
 * call center. The issuer links each card certificate to its card
 * (@myna-ap/pki's RevocationLog reads that and the revocations); the server
 * polls it (`watchJpkiRevocations`, started by `myna serve --jpki DIR`) and
 * hands each new revocation here.
 *
 * Once: a certificate serial is taken in once (table jpki_revocations), so
 * reading the issuer's records again after a restart changes nothing, and a card
 * found after its loss stays active. A card's two certificates revoked for the
 * same loss move it once: the second meets a lost card (CARD_STATUS_UNCHANGED,
 * kept as its outcome). The move follows the rules of every report
 * (checkStatusChange, source `jpki_revocation`); a refusal is kept as the
 * outcome, not thrown, so one bad record does not stop the ones after it.
 */
import { LoaderError } from '../errors.ts';
import type { CardId } from '../domain/ids.ts';
import { checkStatusChange } from '../domain/cardStatus.ts';
import { cardStatusForRevocation } from '../domain/jpkiRevocation.ts';
import { writeTransaction } from './audit.ts';
import type { Ctx } from './context.ts';
import { lockCardStatus, recordStatusChange, type StatusChange } from './feed.ts';

/** A revocation as the issuer records it (@myna-ap/pki's CardRevocation). */
export interface JpkiRevocationRecord {
  /** Canonical lower-case hex. */
  readonly serial: string;
  readonly kind: 'auth' | 'sign';
  readonly reason: string;
  readonly revokedAt: string;
  /** The card's serial (upper-case hex), when the issuer linked the certificate to it. */
  readonly cardId?: string | undefined;
}

export interface JpkiRevocationOutcome {
  readonly serial: string;
  readonly cardId?: string;
  /** `applied`, `no_status`, `unlinked`, `seen` (taken in before), or a refusal's code. */
  readonly outcome: string;
  readonly change?: StatusChange;
}

/** Audit actor of the changes made here: no operator, the issuer's records. */
const ACTOR = 'system';
const SERIAL = /^[0-9a-f]{2,40}$/;
const CARD = /^[0-9A-F]{1,64}$/;

/**
 * Takes in the revocations, in order. Throws `VALIDATION` for a record that is
 * not one (a serial, kind, time or card id of the wrong form), before anything
 * of it is written; the records before it stay taken in.
 */
export async function applyJpkiRevocations(
  ctx: Ctx,
  records: readonly JpkiRevocationRecord[],
): Promise<JpkiRevocationOutcome[]> {
  const out: JpkiRevocationOutcome[] = [];
  for (const r of records) out.push(await applyOne(ctx, checked(r)));
  return out;
}

function checked(r: JpkiRevocationRecord): JpkiRevocationRecord {
  const at = Date.parse(r.revokedAt);
  const bad =
    !SERIAL.test(r.serial) ||
    (r.kind !== 'auth' && r.kind !== 'sign') ||
    Number.isNaN(at) ||
    (r.cardId !== undefined && !CARD.test(r.cardId));
  if (bad) {
    throw new LoaderError(
      'VALIDATION',
      {
        en: `not a JPKI revocation record: ${JSON.stringify(r)}`,
        ja: `JPKIの失効記録として不正です: ${JSON.stringify(r)}`,
      },
      400,
    );
  }
  return r;
}

async function applyOne(ctx: Ctx, r: JpkiRevocationRecord): Promise<JpkiRevocationOutcome> {
  return writeTransaction(
    ctx.db,
    async (tx) => {
      const now = ctx.now();
      const seen = await tx.query('SELECT 1 FROM jpki_revocations WHERE serial = $1', [r.serial]);
      const base = { serial: r.serial, ...(r.cardId ? { cardId: r.cardId } : {}) };
      if (seen.rows.length > 0) return { ...base, outcome: 'seen' };
      const to = cardStatusForRevocation(r.reason);
      const cardId = r.cardId as CardId | undefined;
      let outcome = !cardId ? 'unlinked' : !to ? 'no_status' : 'applied';
      let from;
      if (cardId) from = await lockCardStatus(tx, cardId);
      if (cardId && to && from) {
        try {
          checkStatusChange(from, to, 'jpki_revocation');
        } catch (e) {
          if (!(e instanceof LoaderError)) throw e;
          outcome = e.code;
        }
      }
      await tx.query(
        `INSERT INTO jpki_revocations (serial, kind, reason, revoked_at, card_id, outcome, seen_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [r.serial, r.kind, r.reason, r.revokedAt, cardId ?? null, outcome, now],
      );
      if (outcome !== 'applied' || !cardId || !to || !from) return { ...base, outcome };
      const change = await recordStatusChange(
        tx,
        ACTOR,
        cardId,
        from,
        {
          status: to,
          source: 'jpki_revocation',
          note: `JPKI ${r.kind} ${r.serial} revoked ${r.revokedAt} (${r.reason})`,
        },
        now,
      );
      return { ...base, outcome, change };
    },
    { feed: true },
  );
}

export interface JpkiRevocationWatch {
  /** Reads and takes in what is new now (the timer does the same); one at a time. */
  tick(): Promise<JpkiRevocationOutcome[]>;
  stop(): Promise<void>;
}

/**
 * Polls `read` (the issuer's new revocations) every `intervalMs` and takes them
 * in. A failed read or write is reported to `onError` and tried again on the
 * next tick: a reader hands each record over once, so the watch keeps those not
 * yet taken in and retries them first. A record that is not one is reported and
 * dropped.
 */
export function watchJpkiRevocations(
  ctx: Ctx,
  read: () => Promise<readonly JpkiRevocationRecord[]>,
  o: { intervalMs: number; onError?: (e: unknown) => void },
): JpkiRevocationWatch {
  let pending: JpkiRevocationRecord[] = [];
  let running: Promise<JpkiRevocationOutcome[]> = Promise.resolve([]);
  const once = async (): Promise<JpkiRevocationOutcome[]> => {
    pending.push(...(await read()));
    const done: JpkiRevocationOutcome[] = [];
    while (pending.length > 0) {
      try {
        done.push(...(await applyJpkiRevocations(ctx, pending.slice(0, 1))));
      } catch (e) {
        // A record that is not one is told and dropped; anything else is tried again.
        if (!(e instanceof LoaderError && e.code === 'VALIDATION')) throw e;
        o.onError?.(e);
      }
      pending = pending.slice(1);
    }
    return done;
  };
  const tick = () => {
    running = running.catch(() => []).then(once);
    return running;
  };
  const timer = setInterval(() => {
    tick().catch((e: unknown) => o.onError?.(e));
  }, o.intervalMs);
  timer.unref();
  return {
    tick,
    async stop() {
      clearInterval(timer);
      await running.catch(() => undefined);
    },
  };
}
