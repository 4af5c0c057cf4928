/**
 * Japanese and English text. The language follows MYNA_LANG, then LC_ALL /
 * LC_MESSAGES / LANG (ja* → Japanese); English otherwise.
 */
export type Lang = 'ja' | 'en';
export type Text = { readonly en: string; readonly ja: string };

export function currentLang(env: NodeJS.ProcessEnv = process.env): Lang {
  const v = env.MYNA_LANG ?? env.LC_ALL ?? env.LC_MESSAGES ?? env.LANG ?? '';
  return v.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

export function t(text: Text, lang: Lang = currentLang()): string {
  return text[lang];
}
