/**
 * A load decides once. Before the card is touched, `planLoad` settles everything
 * that does not depend on the card: who may load here (authorisation), the service
 * hours (read once), the open batch, the terminal's auto-load preset, the provider,
 * and for each card AP its row, its area and the approved version it will install.
 * The plan is passed down; the reservation takes its decided values and checks
 * nothing again — it only refuses to commit when what the plan stood on changed
 * meanwhile (see `reserveLoad`).
 */
import type { AreaName } from '@myna-ap/apdu';
import { LoaderError, notFound } from '../errors.ts';
import type { CardApId, InstanceId, TerminalId } from '../domain/ids.ts';
import type { Provider } from '../domain/provider.ts';
import { checkLoadable, type CardApStatus } from '../domain/cardAp.ts';
import type { ApprovedVersion } from '../domain/installSpec.ts';
import { authorize, type Ctx, type Session } from './context.ts';
import type { ConsentInput } from './instances.ts';
import { checkHours, versionFromRow, type VersionRow } from './instances.ts';
import { checkBatchOpen } from './batches.ts';
import { findProvider } from './providers.ts';
import { autoLoadPreset } from './terminals.ts';
import { hexUpper } from './rows.ts';

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

/** The approved version a load installs, with its number. */
export type PlannedVersion = ApprovedVersion & { readonly number: number };

/** One card AP of the plan. */
export interface PlannedCardAp {
  readonly cardApId: CardApId;
  readonly name: string;
  readonly area: AreaName;
  /** Upper-case hex; null before approval. */
  readonly aid: string | null;
  readonly pin: Uint8Array | undefined;
  readonly data: Uint8Array | undefined;
  /** The version it installs; absent when none is approved (then `refusal` says so). */
  readonly version: PlannedVersion | undefined;
  /** Why it cannot be loaded (not approved, suspended, not for this area): refused in its turn. */
  readonly refusal: LoaderError | undefined;
  /**
   * 引継ぎ (cardops/carryOver.ts): the card AP's own provider, when the plan's
   * provider (the municipality's counter) is not it, and the old card's instance
   * this load carries on.
   */
  readonly owner?: Provider | undefined;
  readonly carriedFrom?: InstanceId | undefined;
}

/** A card AP the plan found loadable: what a reservation takes. */
export type ReservableCardAp = PlannedCardAp & { readonly version: PlannedVersion };

export interface LoadPlan {
  readonly operatorId: Session['operatorId'];
  readonly provider: Provider;
  readonly terminalId: TerminalId;
  /** An administrator opened the service hours for this load (audited with each reservation). */
  readonly hoursOverridden: boolean;
  readonly batchId: string | undefined;
  readonly consent: ConsentGiven;
  /** Where the holder is registered, from the resident system; null when it did not say. */
  readonly holderMunicipality: string | null;
  readonly items: readonly PlannedCardAp[];
}

export function isReservable(p: PlannedCardAp): p is ReservableCardAp {
  return p.refusal === undefined && p.version !== undefined;
}

/** The card's own 市区町村コード matters only for a local-area card AP the resident system did not place. */
export function needsCardMunicipality(plan: LoadPlan): boolean {
  return plan.holderMunicipality === null && plan.items.some((p) => p.area === 'local');
}

export interface CardApRow extends Partial<VersionRow> {
  id: string;
  provider_id: string;
  name: string;
  status: CardApStatus;
  areas: AreaName[];
  card_aid: Uint8Array | null;
  version: number | null;
}

/**
 * Decides a load: throws for what refuses the whole load (authorisation, hours,
 * batch, an unknown or repeated card AP, an area not said); a card AP that cannot
 * be loaded carries its `refusal` and the others go on.
 */
export async function planLoad(ctx: Ctx, s: Session, req: LoadRequest): Promise<LoadPlan> {
  const at = { providerId: s.providerId, terminalId: req.terminalId };
  authorize(s, 'card.load', at);
  // The holder's consent is recorded with each reservation.
  authorize(s, 'consent.record', at);
  const hours = await checkHours(ctx, s, req.overrideHours === true);
  if (req.batchId !== undefined) await checkBatchOpen(ctx.db, s, req.batchId, req.terminalId);
  let items = req.items ?? [];
  if (items.length === 0) {
    const preset = await autoLoadPreset(ctx.db, req.terminalId);
    if (!preset || preset.providerId !== s.providerId) throw notFound('terminal', req.terminalId);
    items = preset.items;
    if (items.length === 0) {
      throw new LoaderError('NOTHING_TO_LOAD', {
        en: `choose the card APs to load: terminal ${req.terminalId} has no auto-load preset`,
        ja: `搭載するカードAPを指定してください（端末 ${req.terminalId} に自動搭載の設定はありません）`,
      });
    }
  }
  const provider = s.providerId ? await findProvider(ctx.db, s.providerId) : undefined;
  if (!provider) throw notFound('provider', s.providerId ?? '');
  const rows = await cardApsWithVersion(ctx, [...new Set(items.map((i) => i.cardApId))]);
  const seen = new Set<string>();
  const planned = items.map((item): PlannedCardAp => {
    if (seen.has(item.cardApId)) {
      throw new LoaderError('CARDAP_REPEATED', {
        en: `card AP ${item.cardApId} is named twice`,
        ja: `カードAP ${item.cardApId} が重複しています`,
      });
    }
    seen.add(item.cardApId);
    const ap = rows.get(item.cardApId);
    if (!ap || ap.provider_id !== s.providerId) throw notFound('card AP', item.cardApId);
    const area = item.area ?? (ap.areas.length === 1 ? ap.areas[0]! : undefined);
    if (!area) {
      throw new LoaderError('AREA_REQUIRED', {
        en: `card AP ${item.cardApId} may go into either area: say which (local or extended)`,
        ja: `カードAP ${item.cardApId} はどちらの領域にも搭載できます。領域（local / extended）を指定してください`,
      });
    }
    return plannedCardAp(ap, { ...item, area });
  });
  return {
    operatorId: s.operatorId,
    provider,
    terminalId: req.terminalId,
    hoursOverridden: hours.overridden,
    batchId: req.batchId,
    consent: req.consent,
    holderMunicipality: req.holderMunicipality ?? null,
    items: planned,
  };
}

/**
 * One card AP of a plan from its row: its approved version, or the refusal its
 * status or `refusal` (a carry-over's own rule, checked first) gives.
 */
export function plannedCardAp(
  ap: CardApRow,
  item: LoadItem & { readonly area: AreaName },
  more: Pick<PlannedCardAp, 'owner' | 'carriedFrom'> & { readonly refusal?: LoaderError } = {},
): PlannedCardAp {
  let refusal: LoaderError | undefined = more.refusal;
  try {
    if (!refusal) checkLoadable(ap.status, ap.areas, item.area);
  } catch (e) {
    if (!(e instanceof LoaderError)) throw e;
    refusal = e;
  }
  // Approving a card AP sets its version: one that is approved has it.
  const version =
    ap.version !== null && ap.size !== undefined && ap.size !== null
      ? { ...versionFromRow(ap as VersionRow), number: Number(ap.version) }
      : undefined;
  if (!version && !refusal) throw new Error(`card AP ${ap.id} is approved without a version`);
  return {
    cardApId: item.cardApId,
    name: ap.name,
    area: item.area,
    aid: hexUpper(ap.card_aid),
    pin: item.pin,
    data: item.data,
    version,
    refusal,
    ...(more.owner ? { owner: more.owner } : {}),
    ...(more.carriedFrom ? { carriedFrom: more.carriedFrom } : {}),
  };
}

/** The card APs and their current approved versions, in one read. */
export async function cardApsWithVersion(
  ctx: Ctx,
  ids: CardApId[],
): Promise<Map<string, CardApRow>> {
  const r = await ctx.db.query<CardApRow>(
    `SELECT c.id, c.provider_id, c.name, c.status, c.areas, c.aid AS card_aid, c.version,
            c.type, c.aid, v.size, v.access, v.spec
       FROM card_aps c LEFT JOIN card_ap_versions v ON v.card_ap_id = c.id AND v.version = c.version
      WHERE c.id = ANY($1::text[])`,
    [ids],
  );
  return new Map(r.rows.map((row) => [row.id, row]));
}
