/**
 * カードAP搭載: the card half of the load saga, for one card at a terminal.
 *
 *   plan (DB reads: authorisation, hours, the card APs and their versions — decided once)
 *   → identity and expiry (共通カードAP) → recovery of cut-short sagas → card not expired
 *   → JPKI auth PIN not locked
 *   → per area: for each card AP: consent + reserve (DB, user ID spent)
 *     → INSTALL in the area's secure channel → settle (DB)
 *
 * The DB row is written before the INSTALL and settled after it. If the card
 * leaves or the terminal goes silent in between, the transport error ends the
 * operation with the row `pending`; the next contact with the card settles it.
 *
 * Round trips (scripts, link.ts): the first carries identity and expiry, the PIN
 * check and the first area's SELECT + INITIALIZE UPDATE; each card AP's INSTALL goes in one
 * script with, for the area's first, the EXTERNAL AUTHENTICATE that answers the
 * card's challenge. A load of one card AP is 2 round trips, the protocol's least;
 * recovery that needs the card, a second area, or a refusal that asks the space
 * left cost more.
 */
import { fromHex, type AreaName, type Transmit } from '@myna-ap/apdu';
import { LoaderError, type Text } from '../errors.ts';
import { appendAudit, writeTransaction } from '../store/audit.ts';
import { buildInstallSpec, type ApprovedVersion } from '../domain/installSpec.ts';
import { checkCapacity } from '../domain/rules/capacity.ts';
import { checkCardNotExpired } from '../domain/rules/cardValidity.ts';
import type { Ctx, Session } from '../store/context.ts';
import { reserveLoad, settle } from '../store/instances.ts';
import {
  isReservable,
  needsCardMunicipality,
  planLoad,
  type LoadPlan,
  type LoadRequest,
  type PlannedCardAp,
  type PlannedVersion,
} from '../store/loadPlan.ts';
import {
  answerArea,
  beginArea,
  installScripted,
  type AreaOpening,
  type InstallRefusal,
  type PipelinedArea,
} from './areaSession.ts';
import {
  authPinScript,
  cardRefused,
  checkAuthPinNotLocked,
  identityScript,
  readIdentity,
  type CardIdentity,
} from './cardAccess.ts';
import { asLink, replay, type CardLink } from './link.ts';
import { recoverCard, type Recovered } from './recover.ts';

export type { ConsentGiven, LoadItem, LoadRequest } from '../store/loadPlan.ts';

export type ItemError = {
  readonly code: string;
  readonly message: Text;
  readonly detail?: Readonly<Record<string, unknown>> | undefined;
};

export interface LoadResult {
  readonly cardApId: string;
  readonly name: string;
  readonly area: AreaName;
  readonly aid: string | null;
  readonly status: 'loaded' | 'refused';
  readonly instanceId?: string | undefined;
  /** 利用者ID written, upper-case hex. */
  readonly userId?: string | undefined;
  readonly error?: ItemError | undefined;
}

export interface LoadOutcome {
  readonly cardId: string;
  readonly recovered: readonly Recovered[];
  readonly results: readonly LoadResult[];
}

export function itemError(e: LoaderError): ItemError {
  return { code: e.code, message: e.text, ...(e.detail ? { detail: e.detail } : {}) };
}

function refusalError(r: InstallRefusal, area: AreaName, v: ApprovedVersion): LoaderError {
  switch (r.kind) {
    case 'keys':
      return r.error;
    case 'full':
      try {
        checkCapacity({ area, free: r.free }, v.size);
      } catch (e) {
        if (e instanceof LoaderError) return e;
        throw e;
      }
      // The card found no room although the numbers say it fits: its own accounting.
      return new LoaderError(
        'AREA_FULL',
        {
          en: `the card has no room for ${v.size} bytes in the ${area} area (${r.free} bytes left)`,
          ja: `空き容量が不足しています（残り ${r.free} バイト）`,
        },
        409,
        { area, free: r.free },
      );
    case 'exists':
      return new LoaderError(
        'CARD_AP_ON_CARD_UNRECORDED',
        {
          en: 'the card already holds a card AP with this AID that this system has no record of: run diagnose',
          ja: 'このAIDのカードAPがカードに既にありますが、本システムに記録がありません。障害切り分け（diagnose）を実行してください',
        },
        409,
      );
    case 'refused':
      return cardRefused(r.sw, { en: 'INSTALL', ja: 'カードAPの搭載' });
  }
}

/**
 * The refusal `buildInstallSpec` would give for this holder's PIN and data with
 * the planned version, if any: found before a user ID is spent on it.
 */
function dryRun(p: PlannedCardAp, version: PlannedVersion, ctx: Ctx, serial: Uint8Array) {
  try {
    buildInstallSpec({
      version,
      userId: new Uint8Array(13),
      cardSerial: serial,
      master: ctx.keys.cardApMaster(version.aid),
      pin: p.pin,
      data: p.data,
    });
    return undefined;
  } catch (e) {
    if (e instanceof LoaderError) return e;
    throw e;
  }
}

/** A refusal is a failure the audit log keeps, with its code (nothing was written to the card). */
async function auditRefusal(
  ctx: Ctx,
  s: Session,
  cardId: string,
  cardApId: string,
  e: LoaderError,
): Promise<void> {
  await writeTransaction(ctx.db, (tx) =>
    appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'load.refused',
        target: cardApId,
        detail: { providerId: s.providerId, cardId, cardApId, code: e.code },
      },
      ctx.now(),
    ),
  );
}

/**
 * Loads card APs onto the card behind `t` (a card job's link, or a plain transmit
 * that runs each script one command after another). Rule refusals of one card AP
 * (area, duplicate, capacity…) are reported per card AP and the others go on; a
 * card or terminal that stops answering ends the whole operation with its error.
 */
export async function loadOnCard(
  ctx: Ctx,
  s: Session,
  t: Transmit | CardLink,
  req: LoadRequest,
): Promise<LoadOutcome> {
  // Everything that needs no card is decided before the card is touched, once.
  return loadPlanned(ctx, s, t, await planLoad(ctx, s, req));
}

/** Which card APs go where: decided before the card is met, or from who the card is. */
export type PlanSource = LoadPlan | ((card: CardIdentity) => Promise<LoadPlan>);

/**
 * The card half of a load, for a plan made (`planLoad`, a carry-over's). A plan
 * that depends on the card (a function) is made after round trip 1 has told who
 * the card is; its first area then opens in a round trip of its own.
 */
export async function loadPlanned(
  ctx: Ctx,
  s: Session,
  t: Transmit | CardLink,
  source: PlanSource,
): Promise<LoadOutcome> {
  const link = asLink(t);
  const known = typeof source === 'function' ? undefined : source;
  const areasOf = (p: LoadPlan) =>
    (['local', 'extended'] as const).filter((a) => p.items.some((x) => x.area === a));
  const withMunicipality = known ? needsCardMunicipality(known) : true;

  // Round trip 1: who the card is and until when it is valid, its auth PIN, the
  // first area up to its challenge. The expiry is a READ BINARY in the 共通カードAP
  // already selected: nothing after it waits on its answer, so it rides along.
  const reads = [...identityScript(withMunicipality, true), ...authPinScript()];
  const firstArea = known && areasOf(known)[0];
  let opening: AreaOpening | undefined = firstArea && beginArea(ctx.keys, firstArea);
  const first = [...reads, ...(opening?.script ?? [])];
  const answers = await link.run(first);
  const brought = replay(link, first, answers);
  const card = await readIdentity(brought.transmit, withMunicipality, true);
  let touched = false;
  const recovered = await recoverCard(
    ctx,
    s.operatorId,
    (apdu) => {
      // Recovery went to the card: the rest of the script's answers are stale.
      touched = true;
      brought.drop();
      return link.transmit(apdu);
    },
    card,
    s.providerId,
  );
  // Cut-short sagas are settled even on an expired card; nothing new goes onto it.
  // (The SELECT and INITIALIZE UPDATE round trip 1 already ran leave nothing on it.)
  checkCardNotExpired(card.expiry ?? null, ctx.now());
  await checkAuthPinNotLocked(brought.transmit);
  const plan = known ?? (await (source as (c: CardIdentity) => Promise<LoadPlan>)(card));
  const areas = areasOf(plan);
  let openingAnswers: readonly Uint8Array[] = [];
  if (touched && known) opening = areas[0] && beginArea(ctx.keys, areas[0]);
  else openingAnswers = answers.slice(reads.length);
  if (brought.left() !== openingAnswers.length) {
    throw new Error(
      `load: ${brought.left()} answers of the first script unread, ${openingAnswers.length} expected`,
    );
  }

  const results: LoadResult[] = [];
  for (const area of areas) {
    const here = plan.items.filter((x) => x.area === area);
    // The channel first: a card that refuses our keys, or is not the card it said it
    // was (CARD_CHANGED), costs no user ID and leaves no row.
    let channel: PipelinedArea | undefined;
    let areaError: LoaderError | undefined;
    try {
      const o = opening?.area === area ? opening : beginArea(ctx.keys, area);
      // The opening's answers came with round trip 1 unless the script stopped
      // before them (or recovery made them stale): then it goes now.
      const got =
        o === opening && openingAnswers.length > 0 ? openingAnswers : await link.run(o.script);
      channel = answerArea(o, got, link, card);
    } catch (e) {
      if (!(e instanceof LoaderError)) throw e;
      areaError = e;
    }
    for (const p of here) {
      const refuse = async (e: LoaderError, instanceId?: string) => {
        // A refusal with an instance was settled `failed`, which is audited already.
        if (!instanceId) await auditRefusal(ctx, s, card.cardId, p.cardApId, e);
        results.push({
          cardApId: p.cardApId,
          name: p.name,
          area,
          aid: p.aid,
          status: 'refused',
          ...(instanceId ? { instanceId } : {}),
          error: itemError(e),
        });
      };
      if (areaError) {
        await refuse(areaError);
        continue;
      }
      // The plan's refusal first (not loadable, not carried over): no PIN can change it.
      if (!isReservable(p)) {
        await refuse(p.refusal!);
        continue;
      }
      // What this holder's PIN and data would make of the planned version, before a
      // user ID is spent on an INSTALL that cannot be built.
      const dry = dryRun(p, p.version, ctx, card.serial);
      if (dry) {
        await refuse(dry);
        continue;
      }
      const version = p.version;
      let instance;
      try {
        // The consent and the reservation commit together: one transaction.
        instance = await reserveLoad(ctx, plan, p, {
          cardId: card.cardId,
          municipality: card.municipalityCode,
        });
      } catch (e) {
        if (!(e instanceof LoaderError)) throw e;
        await refuse(e);
        continue;
      }
      let spec;
      try {
        spec = buildInstallSpec({
          version,
          userId: fromHex(instance.userId),
          cardSerial: card.serial,
          master: ctx.keys.cardApMaster(version.aid),
          pin: p.pin,
          data: p.data,
        });
      } catch (e) {
        if (!(e instanceof LoaderError)) throw e;
        await settle(ctx, s.operatorId, instance.id, 'install_refused', 'spec', itemError(e));
        await refuse(e, instance.id);
        continue;
      }
      const refusal = await installScripted(channel!, spec);
      if (refusal) {
        const e = refusalError(refusal, area, version);
        // The channel is closed: the area's other card APs are refused before a reservation.
        if (refusal.kind === 'keys') areaError = e;
        await settle(ctx, s.operatorId, instance.id, 'install_refused', 'install', itemError(e));
        await refuse(e, instance.id);
        continue;
      }
      await settle(ctx, s.operatorId, instance.id, 'installed', 'installed');
      results.push({
        cardApId: p.cardApId,
        name: p.name,
        area,
        aid: instance.aid,
        status: 'loaded',
        instanceId: instance.id,
        userId: instance.userId,
      });
    }
  }
  return { cardId: card.cardId, recovered, results };
}
