export * from './issuer.ts';
export * from './holder.ts';
export * from './keyStore.ts';
export * from './validity.ts';
export { CA_NAME } from './names.ts';
export * from './revocation.ts';
export type { CertKind } from './kinds.ts';
export * from './ocsp.ts';
export * from './server.ts';
