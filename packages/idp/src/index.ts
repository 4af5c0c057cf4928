/**
 * @myna-ap/idp — the identity platform: certificate validation (地方認証PF, OCSP
 * and CRL 方式), electronic user proof (電子利用者証明), per-service PPIDs (MKPF
 * 類型①②) that survive card renewal. See packages/idp/README.md.
 */
export { IDP_ERRORS, IdpError, type IdpErrorCode } from './errors.ts';
export type { Db, Queryable } from '@myna-ap/db';
export { SCOPES, isScope, type Scope } from './scopes.ts';
export { idpMigrations } from './migrations.ts';
export { registerClient, findClient, type Client, type NewClient } from './store/clients.ts';
export { authenticateClient, grantClientCredentials, JWT_BEARER } from './clientAuth.ts';
export {
  makeTrust,
  type TrustConfig,
  type TrustedCa,
  type Trust,
  type CertificateUse,
} from './validation/trust.ts';
export { CrlStore, type CrlStatus } from './validation/crlStore.ts';
export {
  CertificateValidator,
  describeValidation,
  type ValidationAnswer,
  type ValidationMethod,
  type ValidatorOptions,
} from './validation/validator.ts';
export { proofSignedData, CHALLENGE_TTL_MS } from './proof/signedData.ts';
export { verifyProof, type ProofRequest, type ProofResult } from './proof/verify.ts';
export { PpidSecrets, certificateId, type CertificateId } from './ppid/secrets.ts';
export {
  HolderKeys,
  StaticLinks,
  NO_LINKS,
  MAX_LINK_STEPS,
  type CertificateLinks,
  type LinkedVia,
} from './ppid/holders.ts';
export {
  relinkHolder,
  sameFourInfo,
  type RelinkRequest,
  type RelinkResult,
} from './ppid/relink.ts';
export { idpPlugin, idpErrorHandler, MAX_BULK, type IdpContext } from './http/plugin.ts';
export {
  makeOidcProvider,
  OIDC_SCOPES,
  FOUR_INFO_SCOPES,
  ACR_AAL3,
  type OidcOptions,
} from './oidc/provider.ts';
export { oidcPlugin, type OidcPluginOptions } from './oidc/interaction.ts';
export { fourInfoClaims, type FourInfoClaims } from './oidc/claims.ts';
export { openIdpKeys, newIdpKeys, type IdpKeys } from './server/keys.ts';
export {
  platformPlugin,
  idpMount,
  startIdpServer,
  OIDC_PATH,
  type PlatformParts,
  type PlatformMount,
  type IdpServerOptions,
  type RunningIdp,
} from './server/platform.ts';
export {
  checkTouchSite,
  declareTouchSite,
  withdrawTouchSite,
  listTouchSites,
  registerTouch,
  withdrawTouch,
  identifyByTouch,
  TOUCH_ASSURANCE_LEVEL,
  type TouchSite,
  type TouchRegistration,
  type TouchWithdrawal,
  type TouchResult,
} from './touch/touch.ts';
export { toDigestInfo, signatureMatches, SIGN_TRANSACTION_TTL_MS } from './sign/transactions.ts';
