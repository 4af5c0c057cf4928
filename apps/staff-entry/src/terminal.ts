/**
 * The door terminal (扉の端末): it holds the two key packages of the staff card, reads
 * the card by a touch (the touch card AP, system-fixed PIN: no one types anything),
 * and at a secure room has the card verify the PIN the holder typed on the
 * terminal's keypad (the PIN card AP). The PIN goes to the card only — never to the
 * server, never to a log; the server gets the user IDs read and, when the card
 * refused the PIN, its code and the tries left. The server decides and logs.
 */
import { AccessError, cardApPinTriesLeft, connectCardAp } from '@myna-ap/access';
import type { CardApKeyPackage } from '@myna-ap/apdu';
import { TransportError, type CardChannel } from '@myna-ap/transport';
import type { Text } from '@myna-ap/text';
import { StaffError } from './errors.ts';
import type { DoorLevel } from './rules.ts';
import type { DoorReport } from './store.ts';

export interface DoorTerminalOptions {
  /** The staff entry server's URL. */
  readonly server: string;
  /** This terminal's token (`POST /terminals` on the admin page, shown once). */
  readonly token: string;
  readonly touchKeys: CardApKeyPackage;
  readonly pinKeys: CardApKeyPackage;
}

/** What the door's screen shows after a touch. */
export interface DoorAnswer {
  readonly opened: boolean;
  readonly code: string;
  readonly message: Text;
  readonly staffNo?: string;
  readonly name?: string;
  readonly triesLeft?: number;
}

function readFailure(e: unknown): never {
  if (e instanceof TransportError || (e instanceof AccessError && e.code === 'CARD_REMOVED'))
    throw new StaffError('CARD_READ_FAILED');
  if (e instanceof AccessError && e.code === 'CARD_AP_NOT_FOUND')
    throw new StaffError('CARD_AP_MISSING');
  if (e instanceof AccessError)
    throw new StaffError('CARD_READ_FAILED', {
      en: `the card could not be read (${e.code}: ${e.text.en}): touch it again`,
      ja: `カードを読み取れませんでした（${e.text.ja}）。もう一度タッチしてください`,
    });
  throw e;
}

export class DoorTerminal {
  constructor(private readonly o: DoorTerminalOptions) {}

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
    return fetch(this.o.server + path, {
      method,
      headers: {
        authorization: `Bearer ${this.o.token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? null : JSON.stringify(body),
    });
  }

  /** The door this terminal stands at, as the server knows it. */
  async door(): Promise<{ doorId: string; name: string; level: DoorLevel }> {
    const r = await this.call('GET', '/door');
    const b = (await r.json()) as {
      doorId: string;
      name: string;
      level: DoorLevel;
      code?: string;
      message?: Text;
    };
    if (!r.ok) throw new StaffError('TERMINAL_AUTH', b.message);
    return b;
  }

  /**
   * A touch at the door. `askPin` is called at a secure room only (the keypad), after
   * the card said its PIN is not locked; the PIN it answers is sent to the card and
   * wiped.
   */
  async touch(channel: CardChannel, askPin: () => Promise<string>): Promise<DoorAnswer> {
    const door = await this.door();
    let touchUserId: string;
    try {
      touchUserId = (
        await connectCardAp(channel, { aid: this.o.touchKeys.aid, keyPackage: this.o.touchKeys })
      ).userId;
    } catch (e) {
      readFailure(e);
    }
    const report: {
      touchUserId: string;
      pinUserId?: string;
      pinFailure?: DoorReport['pinFailure'];
    } = {
      touchUserId,
    };
    if (door.level === 'secure') {
      try {
        // Locked already: say so without asking for a PIN the card would refuse.
        const left = await cardApPinTriesLeft(channel, this.o.pinKeys.aid);
        if (left === 0) report.pinFailure = { code: 'PIN_LOCKED', triesLeft: 0 };
        else {
          const pin = await askPin();
          report.pinUserId = (
            await connectCardAp(channel, {
              aid: this.o.pinKeys.aid,
              keyPackage: this.o.pinKeys,
              pin,
            })
          ).userId;
        }
      } catch (e) {
        if (e instanceof AccessError && e.code === 'PIN_WRONG')
          report.pinFailure = { code: 'PIN_WRONG', triesLeft: e.triesLeft ?? 0 };
        else if (e instanceof AccessError && e.code === 'PIN_LOCKED')
          report.pinFailure = { code: 'PIN_LOCKED', triesLeft: 0 };
        else if (e instanceof AccessError && e.code === 'PIN_FORMAT')
          // Nothing was sent to the card: no try spent, nothing to log.
          throw new StaffError('BAD_REQUEST', e.text);
        else readFailure(e);
      }
    }
    const r = await this.call('POST', '/entries', report);
    const b = (await r.json()) as DoorAnswer & { message: Text };
    if (r.status !== 200 && r.status !== 403) throw new StaffError('BAD_REQUEST', b.message);
    return b;
  }
}
