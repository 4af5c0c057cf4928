/**
 * The card issuer's security domain (カード発行者SD): the counter's way to change
 * what only the issuer may change on the fixed APs — a holder's PIN set anew
 * (ロック解除), the 券面 EFs rewritten after 記載事項変更, the sign key and
 * certificate replaced — and to unblock an area's key set. Everything happens
 * inside an SCP03-style channel opened with the issuer keys, with C-DECRYPTION;
 * no fixed AP and no card AP accepts these commands itself (application firewall).
 *
 * Anti-tearing: STORE DATA blocks and a generated key pair are staged in
 * volatile memory; the last block commits the whole update in one `card.update`.
 * Bytes: packages/card/README.md, "Issuer operations".
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  SCP03_LEVEL,
  SW,
  aid as toAid,
  concat,
  encodeTlv as tlv,
  fromHex,
  ok,
  parseIssuerStream,
  status,
  toHex,
  type Aid,
  type CommandApdu,
  type ResponseApdu,
} from '@myna-ap/apdu';
import { ISSUER_STREAM_MAX, SD_AUTH_TRIES } from '@myna-ap/profile';
import type { Applet } from '../applet.ts';
import type { Card } from '../card.ts';
import {
  CardSecureChannel,
  isExternalAuthenticate,
  isInitializeUpdate,
} from '../gp/secureChannel.ts';
import { AREA_NAMES } from '../freeArea/image.ts';
import type { IssuerDomainImage } from './image.ts';
import { applyIssuerUpdate, isRefusal, type StagedKey } from './update.ts';

export class IssuerDomainApplet implements Applet {
  readonly aid: Aid;
  readonly label = 'SD カード発行者 (card issuer)';
  readonly #channel: CardSecureChannel;
  #blocks: Uint8Array[] = [];
  #received = 0;
  #key: StagedKey | undefined;

  constructor(readonly card: Card) {
    this.aid = toAid(fromHex(this.#image().aid));
    this.#channel = new CardSecureChannel({
      keys: () => {
        const k = this.#image().keys;
        return { enc: fromHex(k.enc), mac: fromHex(k.mac) };
      },
      keyVersion: this.#image().keyVersion,
      kdd: () => fromHex(this.#image().kdd),
      minLevel: SCP03_LEVEL.C_MAC,
      attempts: {
        blocked: () => (this.#image().failedAuthentications ?? 0) >= SD_AUTH_TRIES,
        failed: () => this.#countFailures((n) => Math.min(n + 1, SD_AUTH_TRIES)),
        succeeded: () => this.#countFailures(() => 0),
      },
    });
  }

  #image(): IssuerDomainImage {
    const d = this.card.image.issuerDomain;
    // attachIssuerDomain adds this applet only to cards whose image has the section.
    if (!d) throw new Error('card image has no issuer security domain');
    return d;
  }

  #countFailures(next: (n: number) => number): void {
    const now = this.#image().failedAuthentications ?? 0;
    const n = next(now);
    if (n === now) return;
    this.card.update((img) => {
      if (!img.issuerDomain) return img;
      const { failedAuthentications: _, ...rest } = img.issuerDomain;
      return { ...img, issuerDomain: n === 0 ? rest : { ...rest, failedAuthentications: n } };
    });
  }

  #drop(): void {
    this.#channel.drop();
    this.#dropStaging();
  }

  #dropStaging(): void {
    this.#blocks = [];
    this.#received = 0;
    this.#key = undefined;
  }

  select(cmd: CommandApdu): ResponseApdu {
    this.#drop();
    if (cmd.p2 === 0x0c || cmd.ne === undefined) return ok();
    return ok(tlv(0x6f, tlv(0x84, this.aid)).slice(0, cmd.ne));
  }

  deselect(): void {
    this.#drop();
  }

  powerOff(): void {
    this.#drop();
  }

  process(cmd: CommandApdu): ResponseApdu {
    if (isInitializeUpdate(cmd)) {
      this.#dropStaging();
      return this.#channel.initializeUpdate(cmd);
    }
    if (isExternalAuthenticate(cmd)) return this.#channel.externalAuthenticate(cmd);
    if (this.#channel.level === undefined) return status(SW.SECURITY_STATUS_NOT_SATISFIED);
    const u = this.#channel.unwrap(cmd);
    if (!u.ok) {
      this.#dropStaging();
      return u.res;
    }
    const level = this.#channel.level ?? 0;
    // PINs and keys travel in these commands: only ever encrypted.
    const res =
      (level & SCP03_LEVEL.C_DECRYPTION) === 0
        ? status(SW.SECURITY_STATUS_NOT_SATISFIED)
        : this.#manage(u.cmd);
    if (res.sw !== SW.OK) this.#dropStaging();
    return this.#channel.wrap(res);
  }

  #manage(cmd: CommandApdu): ResponseApdu {
    if (cmd.cla === 0x00 && cmd.ins === 0x46) return this.#generateKeyPair(cmd);
    if (cmd.cla !== 0x80) return status(SW.CLA_NOT_SUPPORTED);
    switch (cmd.ins) {
      case 0xe2:
        return this.#storeData(cmd);
      case 0xf0:
        return this.#setStatus(cmd);
      default:
        return status(SW.INS_NOT_SUPPORTED);
    }
  }

  /**
   * GENERATE ASYMMETRIC KEY PAIR `00 46 00 00 Le`: a new RSA-2048 pair, kept in
   * volatile memory until a STORE DATA `E3` item puts it into a key EF. Answers
   * the public key `7F 49 { 81 n, 82 e }` (ISO 7816-8); needs Ne ≥ its length.
   */
  #generateKeyPair(cmd: CommandApdu): ResponseApdu {
    if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00) return status(SW.INCORRECT_P1P2);
    if (cmd.data.length > 0) return status(SW.WRONG_LENGTH);
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const answer = publicKeyTemplate(publicKey);
    if (cmd.ne === undefined || cmd.ne < answer.length) return status(SW.WRONG_LENGTH);
    this.#blocks = [];
    this.#received = 0;
    this.#key = { privateKey };
    return ok(answer);
  }

  /** STORE DATA `80 E2 P1 P2`: P1 `80` = last block (the commit), P2 = block number. */
  #storeData(cmd: CommandApdu): ResponseApdu {
    if ((cmd.p1 & 0x7f) !== 0 || cmd.p2 !== this.#blocks.length) return status(SW.INCORRECT_P1P2);
    if (cmd.data.length === 0) return status(SW.WRONG_LENGTH);
    this.#received += cmd.data.length;
    if (this.#received > ISSUER_STREAM_MAX) return status(SW.WRONG_DATA);
    this.#blocks.push(cmd.data);
    if ((cmd.p1 & 0x80) === 0) return ok();
    const items = parseIssuerStream(concat(...this.#blocks));
    if (!items) return status(SW.WRONG_DATA);
    const next = applyIssuerUpdate(this.card.image, items, this.#key);
    if (isRefusal(next)) return status(next.refused);
    this.card.update(() => next);
    this.#dropStaging();
    return ok();
  }

  /** SET STATUS `80 F0 40 07 Lc <area SD AID>`: the area's key set unblocked, its count at 0. */
  #setStatus(cmd: CommandApdu): ResponseApdu {
    if (cmd.p1 !== 0x40 || cmd.p2 !== 0x07) return status(SW.INCORRECT_P1P2);
    const hex = toHex(cmd.data);
    const area = AREA_NAMES.find((a) => this.card.image.freeAreas[a].aid === hex);
    if (!area) return status(SW.REFERENCED_DATA_NOT_FOUND);
    this.card.update((img) => {
      const { failedAuthentications: _, ...rest } = img.freeAreas[area];
      return { ...img, freeAreas: { ...img.freeAreas, [area]: rest } };
    });
    return ok();
  }
}

/** `7F 49 { 81 n, 82 e }`: an RSA public key data object (ISO 7816-8). */
function publicKeyTemplate(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  const n = new Uint8Array(Buffer.from(jwk.n ?? '', 'base64url'));
  const e = new Uint8Array(Buffer.from(jwk.e ?? '', 'base64url'));
  return tlv(0x7f49, tlv(0x81, n), tlv(0x82, e));
}

/** Adds the issuer SD to a card whose image has one (card files made before it have none). */
export function attachIssuerDomain(card: Card): void {
  if (card.image.issuerDomain) card.addApplet(new IssuerDomainApplet(card));
}
