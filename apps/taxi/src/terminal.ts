/**
 * The in-car terminal (車載端末): reads the holder's card offline through the access
 * module, applies the limits and the subsidy, stores the ride signed in its log,
 * counts it on the card, and syncs with the city when it has a line (事業所で自動吸上げ).
 *
 * Order of a touch: the ride is stored (fsync) before the card's counter is written.
 * The log is what the city pays from; the card's counter is how the limits hold
 * offline. If the card leaves before its counter is written the terminal appends a
 * signed `void` for the ride and asks for another touch.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import {
  AccessError,
  cardStatusFromFeed,
  connectCardAp,
  type CardStatusLookup,
  type FeedEntryLike,
} from '@myna-ap/access';
import type { CardApKeyPackage } from '@myna-ap/apdu';
import type { CardChannel } from '@myna-ap/transport';
import { TaxiError } from './errors.ts';
import {
  COUNTER_OFFSET,
  DEFAULT_RULES,
  decideRide,
  decodeCounter,
  encodeCounter,
  jstDayNumber,
  subsidyOf,
  type TaxiRules,
  type Trip,
} from './rules.ts';
import { newTerminalKey, signRecord, type RideBody, type SignedRecord } from './ride.ts';
import { RideLog } from './rideLog.ts';

/** What the terminal needs from the city's server (HttpCity speaks it over HTTP). */
export interface CityLink {
  /** The highest seq up to which the city holds every ride of this terminal. */
  heldThrough(terminalId: string): Promise<number>;
  /** Sends records; the city answers with what it now holds. */
  push(terminalId: string, terminalNow: string, records: readonly SignedRecord[]): Promise<number>;
  /** Status changes (lost, suspended, revoked) of the taxi card AP's user IDs since `since`. */
  status(since: number): Promise<{ events: FeedEntryLike[]; next: number }>;
}

export interface TerminalOptions {
  /** Where the terminal keeps its key, its ride log and the status list (mode 0700). */
  readonly dir: string;
  readonly terminalId: string;
  readonly company: string;
  readonly keyPackage: CardApKeyPackage;
  readonly rules?: TaxiRules;
  /** The terminal's clock (tests set it; a real one may be wrong, the city corrects). */
  readonly now?: () => Date;
}

export interface RideAtTerminal extends Trip {
  readonly fareYen: number;
}

export interface RideOutcome {
  readonly seq: number;
  readonly userId: string;
  readonly subsidyYen: number;
  readonly passengerYen: number;
  readonly ridesToday: number;
  readonly ridesThisYear: number;
}

export interface SyncReport {
  readonly sent: number;
  readonly heldThrough: number;
  readonly statusNext: number;
}

interface StatusFile {
  next: number;
  events: FeedEntryLike[];
}

/** Records per request: a sync cut short resends at most one batch. */
const BATCH = 500;

export class TaxiTerminal {
  readonly terminalId: string;
  readonly company: string;
  readonly publicKeyPem: string;
  private readonly key: KeyObject;
  private readonly log: RideLog;
  private readonly keyPackage: CardApKeyPackage;
  private readonly rules: TaxiRules;
  private readonly now: () => Date;
  private readonly statusPath: string;
  private statusFile: StatusFile;
  private lookup: CardStatusLookup;

  private constructor(o: TerminalOptions) {
    mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    const keyPath = join(o.dir, 'terminal-key.pem');
    if (!existsSync(keyPath)) {
      writeFileSync(keyPath, newTerminalKey().privatePem, { mode: 0o600, flag: 'wx' });
    }
    chmodSync(keyPath, 0o600);
    this.key = createPrivateKey(readFileSync(keyPath, 'utf8'));
    this.publicKeyPem = createPublicKey(this.key)
      .export({ type: 'spki', format: 'pem' })
      .toString();
    this.terminalId = o.terminalId;
    this.company = o.company;
    this.keyPackage = o.keyPackage;
    this.rules = o.rules ?? DEFAULT_RULES;
    this.now = o.now ?? (() => new Date());
    this.log = RideLog.open(join(o.dir, 'rides.jsonl'));
    this.statusPath = join(o.dir, 'status.json');
    this.statusFile = existsSync(this.statusPath)
      ? (JSON.parse(readFileSync(this.statusPath, 'utf8')) as StatusFile)
      : { next: 0, events: [] };
    this.lookup = cardStatusFromFeed(this.statusFile.events);
  }

  /** Opens the terminal in `dir`, making its key on the first start. */
  static open(o: TerminalOptions): TaxiTerminal {
    return new TaxiTerminal(o);
  }

  /** Every record in the log (for the driver's screen and the tests). */
  records(): readonly SignedRecord[] {
    return this.log.all();
  }

  /**
   * One ride: the holder touches, the driver has keyed the fare and where the ride
   * began and ended. Refused (TaxiError, or the access module's AccessError for a
   * lost card or a card without the card AP) before anything is stored.
   */
  async touch(channel: CardChannel, ride: RideAtTerminal): Promise<RideOutcome> {
    const { subsidyYen, passengerYen } = subsidyOf(ride.fareYen, this.rules);
    const ap = await connectCardAp(channel, {
      aid: this.keyPackage.aid,
      keyPackage: this.keyPackage,
      status: this.lookup,
    });
    const at = this.now();
    const decision = decideRide(decodeCounter(ap.content.data), jstDayNumber(at), ride, this.rules);
    if (!decision.ok) throw new TaxiError(decision.reason);
    const body: RideBody = {
      kind: 'ride',
      terminalId: this.terminalId,
      seq: this.log.nextSeq,
      at: at.toISOString(),
      userId: ap.userId.toUpperCase(),
      company: this.company,
      fareYen: ride.fareYen,
      subsidyYen,
      boardInCity: ride.boardInCity,
      alightInCity: ride.alightInCity,
    };
    this.log.append(signRecord(body, this.key));
    try {
      await ap.writeBinary(COUNTER_OFFSET, encodeCounter(decision.next));
    } catch (e) {
      const voided = {
        kind: 'void' as const,
        terminalId: this.terminalId,
        seq: this.log.nextSeq,
        at: this.now().toISOString(),
        voids: body.seq,
      };
      this.log.append(signRecord(voided, this.key));
      if (e instanceof AccessError && (e.code === 'CARD_REMOVED' || e.code === 'NO_CARD'))
        throw new TaxiError('CARD_NOT_COUNTED');
      throw e;
    }
    return {
      seq: body.seq,
      userId: body.userId,
      subsidyYen,
      passengerYen,
      ridesToday: decision.next.dayRides,
      ridesThisYear: decision.next.yearRides,
    };
  }

  /**
   * Sends every ride the city does not hold yet and takes the status changes. Safe
   * to cut anywhere and to repeat: the city keeps each (terminal, seq) once.
   */
  async sync(city: CityLink): Promise<SyncReport> {
    let held = await city.heldThrough(this.terminalId);
    const pending = this.log.after(held);
    for (let i = 0; i < pending.length; i += BATCH) {
      held = await city.push(
        this.terminalId,
        this.now().toISOString(),
        pending.slice(i, i + BATCH),
      );
    }
    let page = await city.status(this.statusFile.next);
    while (page.events.length > 0) {
      this.statusFile = {
        next: page.next,
        events: [...this.statusFile.events, ...page.events],
      };
      page = await city.status(page.next);
    }
    // Written whole (rename): a crash leaves the old list or the new one.
    writeFileSync(`${this.statusPath}.tmp`, JSON.stringify(this.statusFile), { mode: 0o600 });
    renameSync(`${this.statusPath}.tmp`, this.statusPath);
    this.lookup = cardStatusFromFeed(this.statusFile.events);
    return { sent: pending.length, heldThrough: held, statusNext: this.statusFile.next };
  }
}

/** The city's server over HTTP (its routes: src/server.ts). */
export class HttpCity implements CityLink {
  readonly base: string;
  constructor(base: string) {
    this.base = base.replace(/\/+$/, '');
  }

  private async call<T>(path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method: body === undefined ? 'GET' : 'POST',
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch {
      throw new TaxiError('CITY_UNREACHABLE');
    }
    const json = (await res.json().catch(() => undefined)) as
      { code?: string; message?: { en: string; ja: string } } | undefined;
    if (!res.ok) {
      const err = new TaxiError('BAD_REQUEST', {
        en: `the city refused ${path}: ${json?.code ?? res.status} ${json?.message?.en ?? ''}`,
        ja: `市のサーバが拒否しました: ${json?.code ?? res.status} ${json?.message?.ja ?? ''}`,
      });
      throw err;
    }
    return json as T;
  }

  async heldThrough(terminalId: string): Promise<number> {
    const r = await this.call<{ heldThrough: number }>(
      `/v1/terminals/${encodeURIComponent(terminalId)}/rides`,
    );
    return r.heldThrough;
  }

  async push(
    terminalId: string,
    terminalNow: string,
    records: readonly SignedRecord[],
  ): Promise<number> {
    const r = await this.call<{ heldThrough: number }>(
      `/v1/terminals/${encodeURIComponent(terminalId)}/rides`,
      { terminalNow, records },
    );
    return r.heldThrough;
  }

  status(since: number): Promise<{ events: FeedEntryLike[]; next: number }> {
    return this.call(`/v1/status?since=${since}`);
  }
}
