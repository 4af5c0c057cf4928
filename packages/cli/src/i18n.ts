/**
 * Japanese and English text: the shared type and helpers from @myna-ap/text. The
 * language follows MYNA_LANG, then LC_ALL / LC_MESSAGES / LANG (ja* → Japanese).
 */
export { currentLang, t, type Lang, type Text } from '@myna-ap/text';
