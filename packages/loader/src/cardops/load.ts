/**
 * カードAP搭載: the card half of the load saga, for one card at a terminal.
 *
 *   identity (共通カードAP) → recovery of cut-short sagas → JPKI auth PIN not locked
 *   → per area: for each card AP: consent + reserve (DB, user ID spent)
 *     → INSTALL in the area's secure channel → settle (DB)
 *
 * The DB row is written before the INSTALL and settled after it. If the card
 * leaves or the terminal goes silent in between, the transport error ends the
 * operation with the row `pending`; the next contact with the card settles it.
 */
import { fromHex, type AreaName, type Transmit } from '@myna-ap/apdu';
import { LoaderError, notFound, type Text } from '../errors.ts';
import { appendAudit, writeTransaction } from '../audit.ts';
import type { CardApId, TerminalId } from '../domain/ids.ts';
import { buildInstallSpec, type ApprovedVersion } from '../domain/installSpec.ts';
import { checkCapacity } from '../domain/rules/capacity.ts';
import { authorize, type Ctx, type Session } from '../store/context.ts';
import {
  approvedVersion,
  checkHours,
  reserveLoad,
  settle,
  type ConsentInput,
} from '../store/instances.ts';
import { install, openArea, type AreaChannel, type InstallRefusal } from './areaSession.ts';
import { cardRefused, checkAuthPinNotLocked, readIdentity } from './cardAccess.ts';
import { recoverCard, type Recovered } from './recover.ts';
import { checkBatchOpen } from '../store/batches.ts';

export interface LoadItem {
  readonly cardApId: CardApId;
  /** Needed when the card AP may go into both areas. */
  readonly area?: AreaName | undefined;
  /** This holder's data, replacing the version's initial data. */
  readonly data?: Uint8Array | undefined;
  /** The PIN the holder chose (types A, D and protected custom, unless system-fixed). */
  readonly pin?: Uint8Array | undefined;
}

export interface ConsentGiven {
  readonly method: ConsentInput['method'];
  readonly note?: string | undefined;
}

export interface LoadRequest {
  readonly terminalId: TerminalId;
  /** Card APs to load; absent or empty: the terminal's auto-load preset (自動搭載). */
  readonly items?: readonly LoadItem[] | undefined;
  /** 本人の希望: how the holder asked (recorded for each card AP, with who and when). */
  readonly consent: ConsentGiven;
  /** Where the holder is registered, from the resident system (wins over the card). */
  readonly holderMunicipality?: string | null | undefined;
  readonly overrideHours?: boolean | undefined;
  readonly batchId?: string | undefined;
}

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

interface Planned {
  readonly item: LoadItem;
  readonly area: AreaName;
  readonly name: string;
  readonly aid: string | null;
}

/** The card APs to load, with their area: the request's, or the terminal's preset. */
async function plan(ctx: Ctx, s: Session, req: LoadRequest): Promise<Planned[]> {
  let items = req.items ?? [];
  if (items.length === 0) {
    const t = (
      await ctx.db.query<{
        provider_id: string;
        auto_load: { cardApId: string; area?: AreaName }[];
      }>('SELECT provider_id, auto_load FROM terminals WHERE id = $1', [req.terminalId])
    ).rows[0];
    if (!t || t.provider_id !== s.providerId) throw notFound('terminal', req.terminalId);
    items = t.auto_load.map((x) => ({ cardApId: x.cardApId as CardApId, area: x.area }));
    if (items.length === 0) {
      throw new LoaderError('NOTHING_TO_LOAD', {
        en: `choose the card APs to load: terminal ${req.terminalId} has no auto-load preset`,
        ja: `搭載するカードAPを指定してください（端末 ${req.terminalId} に自動搭載の設定はありません）`,
      });
    }
  }
  const seen = new Set<string>();
  const out: Planned[] = [];
  for (const item of items) {
    if (seen.has(item.cardApId)) {
      throw new LoaderError('CARDAP_REPEATED', {
        en: `card AP ${item.cardApId} is named twice`,
        ja: `カードAP ${item.cardApId} が重複しています`,
      });
    }
    seen.add(item.cardApId);
    const ap = (
      await ctx.db.query<{
        provider_id: string;
        name: string;
        areas: AreaName[];
        aid: Uint8Array | null;
      }>('SELECT provider_id, name, areas, aid FROM card_aps WHERE id = $1', [item.cardApId])
    ).rows[0];
    if (!ap || ap.provider_id !== s.providerId) throw notFound('card AP', item.cardApId);
    const area = item.area ?? (ap.areas.length === 1 ? ap.areas[0]! : undefined);
    if (!area) {
      throw new LoaderError('AREA_REQUIRED', {
        en: `card AP ${item.cardApId} may go into either area: say which (local or extended)`,
        ja: `カードAP ${item.cardApId} はどちらの領域にも搭載できます。領域（local / extended）を指定してください`,
      });
    }
    out.push({
      item,
      area,
      name: ap.name,
      aid: ap.aid ? Buffer.from(ap.aid).toString('hex').toUpperCase() : null,
    });
  }
  return out;
}

function refusalError(r: InstallRefusal, area: AreaName, v: ApprovedVersion): LoaderError {
  switch (r.kind) {
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
 * The card AP's current version and the refusal `buildInstallSpec` would give for
 * this holder's PIN and data, if any (undefined version: not approved yet).
 */
async function dryRun(
  ctx: Ctx,
  item: LoadItem,
  serial: Uint8Array,
): Promise<{ version?: ApprovedVersion & { number: number }; error?: LoaderError }> {
  const v = (
    await ctx.db.query<{ version: number }>('SELECT version FROM card_aps WHERE id = $1', [
      item.cardApId,
    ])
  ).rows[0]?.version;
  if (!v) return {}; // not approved: the reservation says so
  const version = {
    ...(await approvedVersion(ctx.db, item.cardApId, Number(v))),
    number: Number(v),
  };
  try {
    buildInstallSpec({
      version,
      userId: new Uint8Array(13),
      cardSerial: serial,
      master: ctx.keys.cardApMaster(version.aid),
      pin: item.pin,
      data: item.data,
    });
    return { version };
  } catch (e) {
    if (e instanceof LoaderError) return { error: e };
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
 * Loads card APs onto the card behind `t`. Rule refusals of one card AP (area,
 * duplicate, capacity…) are reported per card AP and the others go on; a card or
 * terminal that stops answering ends the whole operation with its error.
 */
export async function loadOnCard(
  ctx: Ctx,
  s: Session,
  t: Transmit,
  req: LoadRequest,
): Promise<LoadOutcome> {
  authorize(s, 'card.load', { providerId: s.providerId, terminalId: req.terminalId });
  // Fail before touching the card for what needs no card.
  await checkHours(ctx, s, req.overrideHours === true);
  if (req.batchId !== undefined) await checkBatchOpen(ctx.db, s, req.batchId, req.terminalId);
  const planned = await plan(ctx, s, req);
  // The municipality on the card matters only for a local-area card AP, and only
  // when the resident system has not said where the holder lives.
  const card = await readIdentity(
    t,
    planned.some((p) => p.area === 'local') && !req.holderMunicipality,
  );
  const recovered = await recoverCard(ctx, s.operatorId, t, card, s.providerId);
  await checkAuthPinNotLocked(t);

  const results: LoadResult[] = [];
  for (const area of ['local', 'extended'] as const) {
    const here = planned.filter((x) => x.area === area);
    if (here.length === 0) continue;
    // The channel first: a card that refuses our keys, or is not the card it said it
    // was (CARD_CHANGED), costs no user ID and leaves no row.
    let channel: AreaChannel | undefined;
    let areaError: LoaderError | undefined;
    try {
      channel = await openArea(t, ctx.keys, area, card);
    } catch (e) {
      if (!(e instanceof LoaderError)) throw e;
      areaError = e;
    }
    for (const p of here) {
      const refuse = async (e: LoaderError, instanceId?: string) => {
        // A refusal with an instance was settled `failed`, which is audited already.
        if (!instanceId) await auditRefusal(ctx, s, card.cardId, p.item.cardApId, e);
        results.push({
          cardApId: p.item.cardApId,
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
      // What this holder's PIN and data would make of the current version, before a
      // user ID is spent on an INSTALL that cannot be built.
      const dry = await dryRun(ctx, p.item, card.serial);
      if (dry.error) {
        await refuse(dry.error);
        continue;
      }
      let instance;
      try {
        // The consent and the reservation commit together: one transaction.
        instance = await reserveLoad(ctx, s, {
          cardId: card.cardId,
          cardApId: p.item.cardApId,
          area,
          terminalId: req.terminalId,
          consent: req.consent,
          holderMunicipality: req.holderMunicipality ?? null,
          cardMunicipality: card.municipalityCode,
          overrideHours: req.overrideHours === true,
          batchId: req.batchId,
        });
      } catch (e) {
        if (!(e instanceof LoaderError)) throw e;
        await refuse(e);
        continue;
      }
      const version =
        dry.version && dry.version.number === instance.version
          ? dry.version
          : await approvedVersion(ctx.db, p.item.cardApId, instance.version);
      let spec;
      try {
        spec = buildInstallSpec({
          version,
          userId: fromHex(instance.userId),
          cardSerial: card.serial,
          master: ctx.keys.cardApMaster(version.aid),
          pin: p.item.pin,
          data: p.item.data,
        });
      } catch (e) {
        if (!(e instanceof LoaderError)) throw e;
        await settle(ctx, s.operatorId, instance.id, 'install_refused', 'spec', itemError(e));
        await refuse(e, instance.id);
        continue;
      }
      const refusal = await install(channel!, spec);
      if (refusal) {
        const e = refusalError(refusal, area, version);
        await settle(ctx, s.operatorId, instance.id, 'install_refused', 'install', itemError(e));
        await refuse(e, instance.id);
        continue;
      }
      await settle(ctx, s.operatorId, instance.id, 'installed', 'installed');
      results.push({
        cardApId: p.item.cardApId,
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
