#!/usr/bin/env -S node --import tsx
/**
 * Writes docs/errors.md from every error catalogue: the packages' (listed in
 * packages/cli/src/errorsDoc.ts: the CLI is the package that may import them all),
 * then the business systems' (apps/*: the kit's and each app's own listing, imported
 * here because the CLI may not import an app; the section shape is the kit's
 * `catalogueSection`, and each app's test checks its own section).
 *   node --import tsx --conditions=source scripts/errors-doc.ts          write it
 *   node --import tsx --conditions=source scripts/errors-doc.ts --check  exit 1 when stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { CATALOGUES, ERRORS_DOC, renderErrorsDoc } from '../packages/cli/src/errorsDoc.ts';
import { catalogueSection, KIT_ERRORS_LISTED } from '@myna-ap/app-kit';
import { LIBRARY_ERRORS_LISTED } from '@myna-ap/library';
import { STAFF_ERRORS_LISTED } from '@myna-ap/staff-entry';
import { TAXI_ERRORS_LISTED } from '@myna-ap/taxi';

const APPS = [KIT_ERRORS_LISTED, LIBRARY_ERRORS_LISTED, STAFF_ERRORS_LISTED, TAXI_ERRORS_LISTED];

const want = renderErrorsDoc(CATALOGUES) + APPS.map(catalogueSection).join('');

if (process.argv.includes('--check')) {
  let have = '';
  try {
    have = readFileSync(ERRORS_DOC, 'utf8');
  } catch {
    // missing: stale
  }
  if (have !== want) {
    console.error('docs/errors.md is stale: run npm run errors-doc');
    process.exit(1);
  }
} else {
  writeFileSync(ERRORS_DOC, want);
}
