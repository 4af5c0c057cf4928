/** The apps' part of docs/errors.md: the kit's own section is current, and the shape is the CLI's. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { catalogueSection, sectionIn, KIT_ERRORS_LISTED } from '../src/index.ts';
import { errorsDocTest } from './testing.ts';

errorsDocTest(KIT_ERRORS_LISTED);

const EXAMPLE = {
  pkg: '@myna-ap/example',
  source: 'apps/example/src/errors.ts',
  about: 'an example',
  catalogue: {
    PIN_WRONG: { en: 'wrong PIN | again', ja: '暗証番号が違います' },
    GONE: { status: 410, en: 'gone', ja: 'ありません' },
  },
};

test('a section: heading, source, a row a code with its status (– for none), pipes escaped', () => {
  assert.equal(
    catalogueSection(EXAMPLE),
    '\n## @myna-ap/example — an example\n\nDeclared in `apps/example/src/errors.ts`.\n\n' +
      '| Code | HTTP | Meaning | 意味 |\n| --- | --- | --- | --- |\n' +
      '| `PIN_WRONG` | – | wrong PIN \\| again | 暗証番号が違います |\n' +
      '| `GONE` | 410 | gone | ありません |\n',
  );
});

test('a section is found to the next heading, so a removed last code is noticed', () => {
  const doc = `# Error codes\n${catalogueSection(EXAMPLE)}${catalogueSection({ ...EXAMPLE, pkg: '@myna-ap/other' })}`;
  assert.equal(sectionIn(doc, EXAMPLE), catalogueSection(EXAMPLE));
  const fewer = { ...EXAMPLE, catalogue: { PIN_WRONG: EXAMPLE.catalogue.PIN_WRONG } };
  assert.notEqual(sectionIn(doc, fewer), catalogueSection(fewer));
  assert.equal(sectionIn(doc, { pkg: '@myna-ap/absent', about: 'x' }), undefined);
});
