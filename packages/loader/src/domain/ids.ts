/** Identifiers of the loading system, as branded strings and bytes that say what they are. */
import { randomBytes } from 'node:crypto';
import { LoaderError } from '../errors.ts';

/** サービス提供者ID: written into each card AP, so 1..16 ASCII (A-Z 0-9 _ -). */
export type ProviderId = string & { readonly __brand: 'ProviderId' };
export type OperatorId = string & { readonly __brand: 'OperatorId' };
export type TerminalId = string & { readonly __brand: 'TerminalId' };
export type CardApId = string & { readonly __brand: 'CardApId' };
export type InstanceId = string & { readonly __brand: 'InstanceId' };
export type ConsentId = string & { readonly __brand: 'ConsentId' };
/** A card's serial as read from its 共通カードAP (or given by the resident system). */
export type CardId = string & { readonly __brand: 'CardId' };
/** 利用者ID: 13 random bytes, never derived from the My Number or the 住民票コード. */
export type UserId = Uint8Array & { readonly __brand: 'UserId' };

export const PROVIDER_ID = /^[A-Z0-9][A-Z0-9_-]{0,15}$/;

export function providerId(s: string): ProviderId {
  if (!PROVIDER_ID.test(s)) {
    throw new LoaderError('PROVIDER_ID_INVALID', {
      en: `provider ID "${s}" must be 1 to 16 of A-Z 0-9 _ - (starting with a letter or digit)`,
      ja: `サービス提供者ID「${s}」は英大文字・数字・_・- の1〜16文字で指定してください`,
    });
  }
  return s as ProviderId;
}

/** A fresh opaque id with a readable prefix, e.g. `op_3f9a…`. */
export function newId<T extends string>(prefix: string): T {
  return `${prefix}_${randomBytes(12).toString('hex')}` as T;
}
