/**
 * The business systems' part of docs/errors.md. The CLI writes the packages' part
 * and may not import an app (floors); so each app lists its own catalogue here, in
 * the same table shape, `npm run errors-doc` appends the apps' sections after the
 * packages', and each app's test (`errorsDocTest` of app-kit/testing) fails when its
 * section in the file is not what its catalogue says.
 */
import type { Catalogue } from '@myna-ap/text';

/** One catalogue as docs/errors.md lists it. */
export interface ListedCatalogue {
  /** The package that owns the codes, e.g. `@myna-ap/library`. */
  readonly pkg: string;
  /** Where the catalogue is declared. */
  readonly source: string;
  /** What the codes are about, in a few words. */
  readonly about: string;
  readonly catalogue: Catalogue;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The heading that starts a catalogue's section. */
export const sectionHeading = (c: Pick<ListedCatalogue, 'pkg' | 'about'>): string =>
  `## ${c.pkg} — ${c.about}`;

/** A catalogue's section: its heading, where it is declared, a row a code (status, en, ja). */
export function catalogueSection(c: ListedCatalogue): string {
  const rows = Object.entries(c.catalogue).map(
    ([code, e]) => `| \`${code}\` | ${e.status ?? '–'} | ${cell(e.en)} | ${cell(e.ja)} |\n`,
  );
  return [
    `\n${sectionHeading(c)}\n\nDeclared in \`${c.source}\`.\n\n`,
    '| Code | HTTP | Meaning | 意味 |\n| --- | --- | --- | --- |\n',
    ...rows,
  ].join('');
}

/** The section of `doc` that starts with `c`'s heading (to the next heading), or undefined. */
export function sectionIn(
  doc: string,
  c: Pick<ListedCatalogue, 'pkg' | 'about'>,
): string | undefined {
  const start = doc.indexOf(`\n${sectionHeading(c)}\n`);
  if (start < 0) return undefined;
  const next = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, next < 0 ? undefined : next);
}
