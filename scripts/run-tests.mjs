#!/usr/bin/env node
// Runs every package's tests with Node's own test runner, on the TypeScript sources
// (through tsx, `source` export condition — also in every node process a test starts).
//   node scripts/run-tests.mjs            all tests under packages/*/test
//   node scripts/run-tests.mjs card apdu  only those packages
//   node scripts/run-tests.mjs --soak     also the long runs (MYNA_SOAK=1)
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { sourceEnv } from './source-env.mjs';

const args = process.argv.slice(2);
const soak = args.includes('--soak');
const only = args.filter((a) => !a.startsWith('--'));
const root = new URL('..', import.meta.url).pathname;

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = [];
for (const pkg of readdirSync(join(root, 'packages')).sort()) {
  if (only.length > 0 && !only.includes(pkg)) continue;
  const dir = join(root, 'packages', pkg, 'test');
  try {
    collect(dir, files);
  } catch {
    /* package without tests */
  }
}
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
const env = sourceEnv({ ...process.env, ...(soak ? { MYNA_SOAK: '1' } : {}) });
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env,
  cwd: root,
});
process.exit(r.status ?? 1);
