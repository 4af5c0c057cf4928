/**
 * The holder's card bridge (かざし利用クライアントソフト analog): the card functions a
 * web page may ask for, and nothing else —
 *
 *   authCertificate      the 利用者証明用 certificate (no PIN)
 *   signChallenge        the 利用者証明用 key's signature over SHA-256(origin) ‖
 *                        SHA-256(challenge) after the 4-digit PIN; the origin is the
 *                        asking page's (the HTTP side passes its Origin header), so a
 *                        page cannot get a signature meant for another site
 *   readBasicInfo        the 4 info (券面事項入力補助AP) after its 4-digit PIN
 *   signWithSignKey      the 署名用 key after the 署名用 password: over the same
 *                        origin-bound challenge (the 4 info of a sign-in: the page's
 *                        proof that the 署名用 certificate is the holder's), or over a
 *                        SHA-256 digest (the signature API's transaction); with the
 *                        署名用 certificate
 *   cardAuthentication   券面事項確認AP internal authentication (access's
 *                        authenticateCard) after 照合番号B — the birth date, the
 *                        expiry year and the security code printed on the card —
 *                        checked against the card issuer's key: the card is the
 *                        genuine one, not a copy of its readable data (a touch
 *                        alone proves no key possession)
 *
 * One card operation at a time (a queue): a PIN verified for one request is never
 * used by another. No PIN is sent when 1 try is left (the holder is told instead),
 * and a PIN is never logged or kept.
 */
import type { KeyObject } from 'node:crypto';
import {
  MynaClient,
  AccessError,
  authenticateCard,
  digestInfo,
  pinBOf,
  readCardExpiry,
  readPinTriesLeft,
  selectApplication,
  type PinKind,
} from '@myna-ap/access';
import { AID, FIXED_PIN } from '@myna-ap/profile';
import { TransportError, type CardChannel } from '@myna-ap/transport';
import { IdpError } from '../errors.ts';
import { proofSignedData } from '../proof/signedData.ts';

/** Where the card is: opened for each operation, released after it. */
export interface CardSource {
  open(): Promise<CardChannel>;
  /** After an operation (the emulated card's file is saved: its PIN counters too). */
  release(channel: CardChannel, changed: boolean): Promise<void>;
}

/** Fewest tries that must be left for the bridge to send a PIN. */
export const MIN_TRIES_TO_SEND = 2;

/** The card's refusals and the transport's, as the bridge's codes. */
export function bridgeError(e: unknown): Error {
  if (e instanceof IdpError) return e;
  if (e instanceof TransportError) {
    switch (e.code) {
      case 'NO_CARD':
      case 'CARD_REMOVED':
        return new IdpError('BRIDGE_NO_CARD');
      case 'READER_NOT_FOUND':
      case 'PCSC_NOT_RUNNING':
      case 'PCSC_BINDING_MISSING':
      case 'VPCD_UNREACHABLE':
        return new IdpError('BRIDGE_NO_READER', undefined, { transport: e.code });
      default:
        return new IdpError('BRIDGE_CARD_ERROR', undefined, { transport: e.code });
    }
  }
  if (e instanceof AccessError) {
    const triesLeft = e.triesLeft;
    switch (e.code) {
      case 'PIN_WRONG':
        return new IdpError(
          'BRIDGE_PIN_WRONG',
          {
            en: `the PIN is wrong: ${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left before it locks`,
            ja: `暗証番号が違います。あと${triesLeft}回間違えるとロックされます`,
          },
          { triesLeft },
        );
      case 'PIN_LOCKED':
        return new IdpError('BRIDGE_PIN_LOCKED', undefined, { triesLeft: 0 });
      case 'PIN_FORMAT':
        return new IdpError('BRIDGE_PIN_FORMAT', {
          en: `${e.text.en} (nothing was sent to the card)`,
          ja: `${e.text.ja}（カードには送っていません）`,
        });
      case 'NOT_MYNA_CARD':
        return new IdpError('BRIDGE_NOT_MYNA_CARD');
      case 'CARD_NOT_GENUINE':
        return new IdpError('BRIDGE_CARD_NOT_GENUINE', { en: e.text.en, ja: e.text.ja });
      default:
        return new IdpError('BRIDGE_CARD_ERROR', { en: e.text.en, ja: e.text.ja });
    }
  }
  return e instanceof Error ? e : new Error(String(e));
}

/** A small FIFO: one card operation at a time. */
class Queue {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(job: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(job, job);
    this.#tail = next.catch(() => undefined);
    return next;
  }
}

export interface CardBridgeOptions {
  /**
   * The card issuer's published certificate (the text AP's EF 0004 layout) or its
   * public key: what 券面事項確認AP internal authentication checks the card's
   * certificate against. Without it the bridge answers BRIDGE_UNSUPPORTED there.
   */
  readonly cardIssuer?: Uint8Array | KeyObject;
}

/** What the page gives for 照合番号B: the holder's card face, never sent to a server. */
export interface CardFaceKey {
  readonly birthDate: string; // YYYY-MM-DD
  readonly securityCode: string; // 4 digits, printed on the card
  /** YYYY-MM-DD; read from the card's 共通カードAP when not given. */
  readonly expiry?: string;
}

export class CardBridge {
  readonly #source: CardSource;
  readonly #queue = new Queue();
  readonly #cardIssuer: Uint8Array | KeyObject | undefined;

  constructor(source: CardSource, o: CardBridgeOptions = {}) {
    this.#source = source;
    this.#cardIssuer = o.cardIssuer;
  }

  /** Runs `job` on the card alone; `changed` says whether a PIN try may have moved. */
  #withCard<T>(job: (myna: MynaClient) => Promise<T>, changes: boolean): Promise<T> {
    return this.#queue.run(async () => {
      let channel: CardChannel;
      try {
        channel = await this.#source.open();
      } catch (e) {
        throw bridgeError(e);
      }
      try {
        return await job(new MynaClient(channel));
      } catch (e) {
        throw bridgeError(e);
      } finally {
        await this.#source.release(channel, changes);
      }
    });
  }

  /** A PIN goes to the card only with 2 or more tries left (asking spends none). */
  static async #mayTry(myna: MynaClient, kind: PinKind): Promise<void> {
    const left = await myna.pinTriesLeft(kind);
    if (left === 0) throw new IdpError('BRIDGE_PIN_LOCKED', undefined, { triesLeft: 0 });
    if (left < MIN_TRIES_TO_SEND) {
      throw new IdpError('BRIDGE_PIN_LAST_TRY', undefined, { triesLeft: left });
    }
  }

  authCertificate(): Promise<{ certificate: Uint8Array }> {
    return this.#withCard(async (m) => ({ certificate: await m.readCertificate('auth') }), false);
  }

  /** `origin` is the asking page's, never one it names. */
  signChallenge(
    origin: string,
    challenge: string,
    pin: string,
  ): Promise<{ certificate: Uint8Array; signature: Uint8Array }> {
    return this.#withCard(async (m) => {
      const certificate = await m.readCertificate('auth');
      await CardBridge.#mayTry(m, 'auth');
      await m.verifyPin('auth', pin);
      const signature = await m.sign('auth', {
        hash: 'sha256',
        data: proofSignedData(origin, challenge),
      });
      return { certificate, signature };
    }, true);
  }

  readBasicInfo(pin: string) {
    return this.#withCard(async (m) => {
      await CardBridge.#mayTry(m, 'text');
      return m.readBasicInfo(pin);
    }, true);
  }

  signWithSignKey(
    origin: string,
    what: { readonly challenge: string } | { readonly digest: Uint8Array },
    password: string,
  ): Promise<{ certificate: Uint8Array; signature: Uint8Array }> {
    return this.#withCard(async (m) => {
      await CardBridge.#mayTry(m, 'sign');
      await m.verifyPin('sign', password);
      // The 署名用 certificate holds the 4 info: readable only after the password.
      const certificate = await m.readCertificate('sign');
      const signature =
        'challenge' in what
          ? await m.sign('sign', { hash: 'sha256', data: proofSignedData(origin, what.challenge) })
          : await m.sign('sign', digestInfo('sha256', what.digest));
      return { certificate, signature };
    }, true);
  }

  /**
   * 券面事項確認AP internal authentication: the card signs a fresh challenge with
   * its card-authentication key after 照合番号B, and its certificate is checked
   * against the card issuer's. PIN B tries are guarded like the others.
   */
  async cardAuthentication(face: CardFaceKey): Promise<{ cardKeyId: string; expiry: string }> {
    const issuer = this.#cardIssuer;
    if (issuer === undefined) {
      throw new IdpError('BRIDGE_UNSUPPORTED', {
        en: 'this bridge has no card issuer certificate, so it cannot tell a genuine card (券面事項確認AP internal authentication)',
        ja: 'このブリッジにはカード発行者の証明書が設定されていないため、カードの真正性（券面事項確認APの内部認証）を確認できません',
      });
    }
    return this.#withCard(async (m) => {
      const s = m.session;
      let expiry = face.expiry;
      if (expiry === undefined) {
        const read = (await selectApplication(s, AID.common)) ? await readCardExpiry(s) : null;
        if (read === null) {
          throw new IdpError('BAD_REQUEST', {
            en: "the card's expiry cannot be read: give it from the card face (expiry)",
            ja: 'カードの有効期限を読み取れません。券面の有効期限（expiry）を指定してください',
          });
        }
        expiry = read;
      }
      // The shape first: a malformed PIN B costs no try.
      const pinB = pinBOf(face.birthDate, expiry, face.securityCode);
      if (!(await selectApplication(s, AID.visual))) throw new IdpError('BRIDGE_NOT_MYNA_CARD');
      const left = await readPinTriesLeft(s, FIXED_PIN.visual_pin_b.ref);
      if (left === 0) throw new IdpError('BRIDGE_PIN_LOCKED', undefined, { triesLeft: 0 });
      if (left !== undefined && left < MIN_TRIES_TO_SEND) {
        throw new IdpError('BRIDGE_PIN_LAST_TRY', undefined, { triesLeft: left });
      }
      try {
        const a = await authenticateCard(s, { pinB, issuer });
        return { cardKeyId: a.cardKeyId, expiry };
      } catch (e) {
        // access names 照合番号B and what makes it; the 4-digit PIN's wording would mislead.
        if (e instanceof AccessError && e.code === 'PIN_WRONG') {
          throw new IdpError('BRIDGE_PIN_WRONG', e.text, { triesLeft: e.triesLeft });
        }
        throw e;
      }
    }, true);
  }
}
