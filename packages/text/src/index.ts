/**
 * @myna-ap/text — text for people, in Japanese and English.
 *
 * Every package that says something to an operator, a holder or a vendor says it
 * in both languages with this one type, and declares its failure codes as a
 * catalogue (`defineCatalogue`): the code union, its HTTP status and both
 * languages in one place.
 */
export type Lang = 'ja' | 'en';

/** A sentence in both languages. */
export type Text = { readonly en: string; readonly ja: string };

export function text(en: string, ja: string): Text {
  return { en, ja };
}

/** The language from MYNA_LANG, then LC_ALL / LC_MESSAGES / LANG (ja* → Japanese). */
export function currentLang(env: Readonly<Record<string, string | undefined>> = process.env): Lang {
  const v = env.MYNA_LANG ?? env.LC_ALL ?? env.LC_MESSAGES ?? env.LANG ?? '';
  return v.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

export function t(value: Text, lang: Lang = currentLang()): string {
  return value[lang];
}

/** The language an HTTP client asked for (Accept-Language), Japanese when it prefers it. */
export function langFromAcceptLanguage(header: string | undefined, fallback: Lang = 'ja'): Lang {
  if (!header) return fallback;
  let best: { lang: Lang; q: number } | undefined;
  for (const part of header.split(',')) {
    const [tag = '', ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0) continue;
    const lang: Lang | undefined = tag.startsWith('ja')
      ? 'ja'
      : tag.startsWith('en')
        ? 'en'
        : undefined;
    if (lang && (!best || q > best.q)) best = { lang, q };
  }
  return best?.lang ?? fallback;
}

/** One entry of an error catalogue: what the code means, in both languages. */
export type CatalogueEntry = Text & {
  /** HTTP status a server answers with, for packages that serve HTTP. */
  readonly status?: number;
};

export type Catalogue<C extends string = string> = { readonly [K in C]: CatalogueEntry };

/**
 * Declares a package's failure codes. Use as
 *   export const ACCESS_ERRORS = defineCatalogue({ PIN_WRONG: { en, ja }, … });
 *   export type AccessErrorCode = CodeOf<typeof ACCESS_ERRORS>;
 * The entry's text is the code's general meaning; an error instance may carry a
 * more specific text (with the AID, the bytes left, …).
 */
export function defineCatalogue<const C extends Record<string, CatalogueEntry>>(entries: C): C {
  for (const [code, e] of Object.entries(entries)) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(code))
      throw new Error(`catalogue code ${code} is not UPPER_SNAKE`);
    if (!e.en || !e.ja) throw new Error(`catalogue code ${code} lacks a text`);
  }
  return Object.freeze(entries);
}

export type CodeOf<C> = Extract<keyof C, string>;
