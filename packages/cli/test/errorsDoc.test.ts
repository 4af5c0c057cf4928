/**
 * docs/errors.md is generated from the error catalogues (scripts/errors-doc.ts);
 * this fails when a code was added, changed or removed without regenerating it.
 * (Here, in the CLI's tests: the CLI is the package that depends on every other.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CATALOGUES, ERRORS_DOC, renderErrorsDoc } from '../src/errorsDoc.ts';

test('docs/errors.md lists every catalogue code as the catalogues say', () => {
  const want = renderErrorsDoc(CATALOGUES);
  // The business systems' sections follow (apps/*: each app's tests check its own).
  assert.equal(
    readFileSync(ERRORS_DOC, 'utf8').slice(0, want.length),
    want,
    'docs/errors.md is stale: run npm run errors-doc',
  );
  for (const c of CATALOGUES)
    for (const code of Object.keys(c.catalogue)) assert.ok(want.includes(`| \`${code}\` |`), code);
});

test('the generator lists a new catalogue with one line', () => {
  const doc = renderErrorsDoc([
    ...CATALOGUES,
    {
      pkg: '@myna-ap/example',
      source: 'packages/example/src/errors.ts',
      about: 'an example',
      catalogue: { PIN_WRONG: { en: 'wrong PIN | again', ja: '暗証番号が違います' } },
    },
  ]);
  assert.match(doc, /## @myna-ap\/example/);
  assert.match(doc, /\| `PIN_WRONG` \| – \| wrong PIN \\\| again \| 暗証番号が違います \|/);
});
