/**
 * @peculiar/x509, ready to use: it needs the reflect-metadata polyfill loaded
 * before it, and a WebCrypto provider. Every file of this package imports it from
 * here so the order can never be wrong.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
