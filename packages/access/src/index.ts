/**
 * @myna-ap/access — host-side clients of the My Number Card over any CardChannel:
 * the fixed applications (JPKI, 4 basic info, the card's identity and PIN tries)
 * and the card APs of the free areas (the card AP access module); the holder's
 * PIN changes, the counter's issuer operations and the card's internal authentication.
 */
export { ACCESS_ERRORS, AccessError, type AccessErrorCode } from './errors.ts';
export { digestInfo, digestInfoOf, isHashName, type HashName } from './digestInfo.ts';
export { parseBasicInfo, type BasicInfo } from './basicInfo.ts';
export { CardSession, type CardLink } from './session.ts';
export {
  MynaClient,
  type CertificateKind,
  type KeyKind,
  type PinKind,
  type SignInput,
} from './myna.ts';
export {
  CARD_AP_WRITE_MAX,
  cardApPinTriesLeft,
  connectCardAp,
  readCardAp,
  type CardApConnection,
  type CardApReadOptions,
  type CardApReading,
} from './cardAp.ts';
export {
  cardStatusFromFeed,
  checkCardStatus,
  type CardStatus,
  type CardStatusLookup,
  type FeedEntryLike,
} from './cardStatus.ts';
export { keyPackageFrom, openCardReader, readKeyPackageFile, transportFailure } from './reader.ts';
export {
  readAuthCertificate,
  readCardExpiry,
  readCardIdentity,
  readPinTriesLeft,
  selectApplication,
  type CardIdentity,
} from './cardInfo.ts';
export {
  HOLDER_PINS,
  changePin,
  checkPinFormat,
  pinFailure,
  type HolderPinDef,
  type HolderPinKind,
} from './holderPin.ts';
export {
  channelFailure,
  commitIssuerUpdate,
  generateSignKeyPair,
  openIssuerSession,
  parsePublicKeyTemplate,
  replaceSignCertificate,
  resetHolderPin,
  rewriteCardFace,
  unblockAreaKeySet,
  type CardFaceContents,
  type IssuerSession,
} from './issuerOps.ts';
export {
  authenticateCard,
  cvCertificateSignedBy,
  issuerKeyFromCertificate,
  parseCardFace,
  parseCvCertificate,
  pinBOf,
  readCardFace,
  type CardAuthentication,
  type CardFace,
  type CardAuthenticationOptions,
  type CvCertificate,
} from './cardAuthentication.ts';
