/**
 * @peculiar/x509, ready to use: it needs the reflect-metadata polyfill loaded
 * before it, and a WebCrypto provider. Every file of this package imports it from
 * here so the order can never be wrong.
 *
 * The provider is node's WebCrypto with one addition: a private key that lives in
 * a key store (a PKCS#11 token, say) is passed to the library as a handle from
 * `signingKeyOf`, and `subtle.sign` with such a handle asks the store for the
 * signature. That is the library's own extension point (a crypto provider), so
 * certificates and CRLs are built by it unchanged while the key stays in the store.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import type { CryptoKey, IssuerKey } from './keyStore.ts';

const storeKeys = new WeakMap<object, IssuerKey>();

/** A WebCrypto-shaped handle for `signingKey` parameters; signing goes to the key's store. */
export function signingKeyOf(key: IssuerKey): CryptoKey {
  const handle = Object.freeze({
    type: 'private',
    extractable: false,
    algorithm: {
      name: 'RSASSA-PKCS1-v1_5',
      hash: { name: 'SHA-256' },
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
    },
    usages: ['sign'],
  });
  storeKeys.set(handle, key);
  return handle as unknown as CryptoKey;
}

type Subtle = typeof webcrypto.subtle;
const base: Subtle = webcrypto.subtle;

function hashName(alg: unknown): string | undefined {
  if (typeof alg !== 'object' || alg === null) return undefined;
  const h = (alg as { hash?: unknown }).hash;
  return typeof h === 'string' ? h : (h as { name?: string } | undefined)?.name;
}

function bytesOf(data: unknown): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('sign: data must be a BufferSource');
}

const subtle = new Proxy(base, {
  get(target, prop) {
    if (prop === 'sign') {
      return async (alg: unknown, key: object, data: unknown): Promise<ArrayBuffer> => {
        const stored = storeKeys.get(key);
        if (!stored) return base.sign(alg as never, key as CryptoKey, data as never);
        const name = typeof alg === 'string' ? alg : (alg as { name?: string }).name;
        if (name !== 'RSASSA-PKCS1-v1_5' || hashName(alg) !== 'SHA-256') {
          throw new TypeError(`key ${stored.id} signs with RSASSA-PKCS1-v1_5/SHA-256 only`);
        }
        const sig = await stored.sign(bytesOf(data));
        return sig.buffer.slice(sig.byteOffset, sig.byteOffset + sig.byteLength) as ArrayBuffer;
      };
    }
    const v = Reflect.get(target, prop, target) as unknown;
    return typeof v === 'function' ? v.bind(target) : v;
  },
});

x509.cryptoProvider.set({
  subtle,
  getRandomValues: webcrypto.getRandomValues.bind(webcrypto),
  randomUUID: webcrypto.randomUUID.bind(webcrypto),
} as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
