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
 *   cardAuthentication   券面事項確認AP internal authentication, where the card
 *                        software can run it (not yet: the access module has no
 *                        client for it — BRIDGE_UNSUPPORTED)
 *
 * One card operation at a time (a queue): a PIN verified for one request is never
 * used by another. No PIN is sent when 1 try is left (the holder is told instead),
 * and a PIN is never logged or kept.
 */
import { MynaClient, AccessError, digestInfo, type PinKind } from '@myna-ap/access';
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

export class CardBridge {
  readonly #source: CardSource;
  readonly #queue = new Queue();

  constructor(source: CardSource) {
    this.#source = source;
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

  /** 券面事項確認AP internal authentication: not in this card software yet. */
  async cardAuthentication(): Promise<never> {
    throw new IdpError('BRIDGE_UNSUPPORTED', {
      en: '券面事項確認AP internal authentication is not available in this bridge yet (the access module has no client for it)',
      ja: '券面事項確認APの内部認証はこのブリッジではまだ使えません（アクセスモジュールに未実装）',
    });
  }
}
