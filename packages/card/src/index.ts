/**
 * @myna-ap/card — the My Number Card emulator: the card, its image (JSON), making
 * a card, the fixed applications' file trees and the free areas with their card
 * APs. The card's published layout (AIDs, EFs, PINs, limits, check digits) is
 * @myna-ap/profile's; this package is what answers the APDUs.
 */
export type { Applet } from './applet.ts';
export { Card, MYNA_ATR } from './card.ts';
export {
  CARD_IMAGE_FORMAT,
  CARD_IMAGE_VERSION,
  CardImageError,
  emptyCardImage,
  fidKey,
  newPin,
  parseCardImage,
  parseCardImageJson,
  pinMatches,
  readEf,
  serializeCardImage,
  withEf,
  withPin,
  type ApImage,
  type ApName,
  type CardImage,
  type HexString,
  type PinImage,
} from './image.ts';
export {
  CARD_IMAGE_ERRORS,
  CARD_OPTION_ERRORS,
  CardOptionError,
  type CardImageErrorCode,
  type CardOptionErrorCode,
} from './errors.ts';
export {
  cardIssuerFromKey,
  defaultCardIssuerDir,
  newCardIssuer,
  openOrCreateCardIssuer,
  type CardIssuer,
} from './issuer.ts';
export {
  DEFAULT_MUNICIPALITY,
  DEFAULT_PIN,
  DEFAULT_SIGN_PASSWORD,
  createCard,
  defaultExpiry,
  generateCardKeys,
  resolveCardOptions,
  type CardCertificates,
  type CardHolder,
  type CardKeys,
  type CardSecrets,
  type CertificateIssuer,
  type CardReplaced,
  type CreateCardOptions,
  type CreatedCard,
} from './create.ts';
export { loadCardFile, loadCardImage, saveCardFile, saveCardImage } from './file.ts';
export {
  ALWAYS,
  NEVER,
  accessAllowed,
  afterPin,
  sfiOf,
  type AccessRule,
  type DfSpec,
  type EfSpec,
  type PinFormat,
  type PinSpec,
} from './fs/spec.ts';
export { DfApplet, type Current } from './fs/dfApplet.ts';
export { JPKI_SPEC, JPKI_TOKEN, JpkiApplet } from './apps/jpki.ts';
export { TEXT_SPEC } from './apps/text.ts';
export { VISUAL_SPEC, VisualApplet } from './apps/visual.ts';
export { JUKI_SPEC } from './apps/juki.ts';
export { COMMON_SPEC } from './apps/common.ts';
export { FIXED_SPECS } from './apps/install.ts';
export {
  randomDigits,
  randomMyNumber,
  randomResidentCode,
  randomSecurityCode,
} from './layout/numbers.ts';
export { basicInfoEf, myNumberEf, type BasicInfo } from './layout/textAp.ts';
export {
  AREA_KEY_VERSION,
  AREA_NAMES,
  CARD_AP_KEY_VERSION,
  CARD_AP_PIN_REFERENCE,
  DEFAULT_CAPACITY,
  FreeAreaImageError,
  SD_AID,
  TEST_AREA_MASTER_KEYS,
  areaUsage,
  attachFreeAreas,
  footprint,
  freeAreaUsage,
  newFreeAreas,
  parseFreeAreas,
  type AreaMasterKeys,
  type AreaUsage,
  type CardApEfImage,
  type CardApImage,
  type FreeAreaImage,
  type FreeAreasImage,
  type NewFreeAreasOptions,
} from './freeArea/index.ts';
export {
  cvCertificate,
  issuerCvCertificateEf,
  keyId,
  textSignatureEf,
  textSignatureEfOverHash,
} from './layout/textAp.ts';
export { visualEntriesEf, type VisualEntries } from './layout/visualAp.ts';
export { IssuerDomainApplet, attachIssuerDomain } from './issuerDomain/applet.ts';
export { newIssuerDomain, type IssuerDomainImage } from './issuerDomain/image.ts';
export { applyIssuerUpdate, type StagedKey } from './issuerDomain/update.ts';
export { DEFAULT_FACE_JP2 } from './layout/faceJp2.ts';
