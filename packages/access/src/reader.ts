/**
 * The edge of the access module a business system starts from: a card reader
 * (PC/SC: a real reader, or vpcd's virtual one with an emulated card) and the
 * key package file. Failures become AccessErrors a counter screen can show:
 * NO_READER, NO_CARD, CARD_REMOVED, KEY_PACKAGE_INVALID, KEY_PACKAGE_EXPOSED.
 */
import { readFile, stat } from 'node:fs/promises';
import { KeyPackageError, parseKeyPackage, type CardApKeyPackage } from '@myna-ap/apdu';
import { PcscChannel, TransportError, type PcscOpenOptions } from '@myna-ap/transport';
import { ACCESS_ERRORS, AccessError, type AccessErrorCode } from './errors.ts';

const FROM_TRANSPORT: Partial<Record<TransportError['code'], AccessErrorCode>> = {
  PCSC_BINDING_MISSING: 'NO_READER',
  PCSC_NOT_RUNNING: 'NO_READER',
  READER_NOT_FOUND: 'NO_READER',
  VPCD_UNREACHABLE: 'NO_READER',
  NO_CARD: 'NO_CARD',
  CARD_REMOVED: 'CARD_REMOVED',
  CHANNEL_CLOSED: 'CARD_REMOVED',
};

/**
 * A transport failure as the access module's error (the transport's own words
 * after its meaning, the TransportError as `cause`); others are returned as they are.
 */
export function transportFailure(e: unknown): unknown {
  if (!(e instanceof TransportError)) return e;
  const code = FROM_TRANSPORT[e.code];
  if (!code) return e;
  const meaning = ACCESS_ERRORS[code];
  return new AccessError(
    code,
    { en: `${meaning.en} (${e.text.en})`, ja: `${meaning.ja}（${e.text.ja}）` },
    { cause: e },
  );
}

/**
 * Opens the card in a PC/SC reader (default: the first reader holding a card).
 * Rejects with NO_READER (no reader, or pcscd not running) or NO_CARD.
 */
export async function openCardReader(options: PcscOpenOptions = {}): Promise<PcscChannel> {
  try {
    return await PcscChannel.open(options);
  } catch (e) {
    throw transportFailure(e);
  }
}

/** A key package from a parsed JSON value (a secret store's, an environment variable's). */
export function keyPackageFrom(value: unknown): CardApKeyPackage {
  try {
    return parseKeyPackage(value);
  } catch (e) {
    if (!(e instanceof KeyPackageError)) throw e;
    throw new AccessError('KEY_PACKAGE_INVALID', {
      en: `${ACCESS_ERRORS.KEY_PACKAGE_INVALID.en}: ${e.message}`,
      ja: `${ACCESS_ERRORS.KEY_PACKAGE_INVALID.ja}（${e.message}）`,
    });
  }
}

/**
 * Reads the key package file `myna ap keys ID --out FILE` wrote. Refuses a file
 * that other users may read (its master keys open the card AP on every card).
 */
export async function readKeyPackageFile(path: string): Promise<CardApKeyPackage> {
  let text: string;
  try {
    const st = await stat(path);
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
      throw new AccessError('KEY_PACKAGE_EXPOSED', {
        en: `${path} is mode ${mode}: other users may read the card AP master keys (chmod 600 ${path})`,
        ja: `${path} の権限は ${mode} で、他の利用者がカードAPのマスター鍵を読めます（chmod 600 ${path}）`,
      });
    }
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof AccessError) throw e;
    throw new AccessError('KEY_PACKAGE_INVALID', {
      en: `${path} cannot be read (${(e as Error).message})`,
      ja: `${path} を読めません（${(e as Error).message}）`,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AccessError('KEY_PACKAGE_INVALID', {
      en: `${path} is not JSON`,
      ja: `${path} はJSONではありません`,
    });
  }
  return keyPackageFrom(value);
}
