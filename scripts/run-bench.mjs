#!/usr/bin/env node
// Runs the benchmarks through tsx, one process per file, one after another (they
// measure time: never in parallel).
//   node scripts/run-bench.mjs            bench/*.bench.ts, packages/*/bench/*.bench.ts, apps/*/bench/*.bench.ts
//   node scripts/run-bench.mjs pcsc tlv   only files whose name contains one of the words
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { sourceEnv } from './source-env.mjs';

const root = new URL('..', import.meta.url).pathname;
const words = process.argv.slice(2);

function benches(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort()
    .map((f) => join(dir, f));
}

const files = [
  ...benches(join(root, 'bench')),
  ...['packages', 'apps']
    .filter((d) => existsSync(join(root, d)))
    .flatMap((d) =>
      readdirSync(join(root, d))
        .sort()
        .flatMap((p) => benches(join(root, d, p, 'bench'))),
    ),
].filter((f) => words.length === 0 || words.some((w) => f.split('/').pop().includes(w)));

if (files.length === 0) {
  console.error('run-bench: no benchmark files found');
  process.exit(1);
}
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f.slice(root.length)} ===`);
  const r = spawnSync(process.execPath, [f], {
    stdio: 'inherit',
    cwd: root,
    env: sourceEnv(process.env),
  });
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
