#!/usr/bin/env -S node --import tsx
/**
 * Writes docs/errors.md from every package's error catalogue (the list is in
 * packages/cli/src/errorsDoc.ts: the CLI is the package that may import them all).
 *   node --import tsx --conditions=source scripts/errors-doc.ts          write it
 *   node --import tsx --conditions=source scripts/errors-doc.ts --check  exit 1 when stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { CATALOGUES, ERRORS_DOC, renderErrorsDoc } from '../packages/cli/src/errorsDoc.ts';

const want = renderErrorsDoc(CATALOGUES);

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
