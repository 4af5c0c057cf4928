/**
 * @myna-ap/profile — the My Number Card's published layout, in one place: the
 * AIDs, the EFs, the PINs and their tries, what a card AP may be, the check
 * digits of the numbers on the card, and how long a card is valid. The emulator,
 * the host clients and the loading system all read these facts from here.
 */
export {
  AID,
  FIXED_AP_LABEL,
  FIXED_AP_NAMES,
  ISSUER_SD_AID,
  SD_AID,
  type FixedApName,
} from './aids.ts';
export {
  COMMON_EF,
  COMMON_EF_LENGTH,
  JPKI_EF,
  JPKI_TOKEN_LABEL,
  JPKI_TOKEN_LENGTH,
  JUKI_EF,
  TEXT_EF,
  VISUAL_EF,
} from './efs.ts';
export {
  FIXED_PIN,
  FIXED_PINS,
  FOUR_DIGITS,
  HOLDER_PINS,
  PIN_A,
  PIN_B,
  SIGN_PASSWORD,
  type FixedPin,
  type FixedPinName,
  type PinFormat,
} from './pins.ts';
export {
  AID_LENGTH,
  CARD_AP_MAX_RECORD,
  CARD_AP_MAX_RECORDS,
  CARD_AP_MAX_SIZE,
  CARD_AP_OVERHEAD,
  CARD_AP_PIN,
  CARD_AP_TYPES,
  CUSTOM_MAX_EFS,
  INTERNAL_AUTH_CHALLENGE,
  ISSUER_STREAM_MAX,
  PROVIDER_ID_LENGTH,
  SD_AUTH_TRIES,
  USER_ID_LENGTH,
  aidLengthOk,
  cardApFootprint,
  cardApPinLengthOk,
  holderCardApPinOk,
  cardApPinTriesOk,
  cardApRecordLengthOk,
  cardApType,
  type CardApType,
} from './limits.ts';
export {
  isValidMunicipalityCode,
  isValidMyNumber,
  municipalityCheckDigit,
  myNumberCheckDigit,
} from './numbers.ts';
export {
  AGE_OF_MAJORITY,
  CARD_VALIDITY_BIRTHDAYS,
  ageOn,
  cardExpiryDate,
  isCardExpired,
  japanDate,
  nthBirthdayAfter,
  parseIsoDate,
} from './validity.ts';
export { aid, aidHex, type Aid } from '@myna-ap/apdu';
