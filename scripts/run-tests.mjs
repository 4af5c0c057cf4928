#!/usr/bin/env node
// Runs every package's tests with Node's own test runner, on the TypeScript sources
// (through tsx, `source` export condition — also in every node process a test starts).
//   node scripts/run-tests.mjs            all tests under packages/*/test
//   node scripts/run-tests.mjs card apdu  only those packages
//   node scripts/run-tests.mjs --soak     also the long runs (MYNA_SOAK=1)
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
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
// Packages, then the business systems of apps/* (named by their folder: `taxi`).
const roots = ['packages', 'apps'].filter((d) => existsSync(join(root, d)));
for (const [top, pkg] of roots.flatMap((d) =>
  readdirSync(join(root, d))
    .sort()
    .map((p) => [d, p]),
)) {
  if (only.length > 0 && !only.includes(pkg)) continue;
  const dir = join(root, top, pkg, 'test');
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

/** Runs `list` under Node's test runner, the output shown as it comes and kept. */
function run(list) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--test', '--test-reporter=spec', ...list], {
      stdio: ['inherit', 'pipe', 'pipe'],
      env,
      cwd: root,
    });
    let out = '';
    const keep = (to) => (d) => {
      to.write(d);
      out += d.toString();
    };
    child.stdout.on('data', keep(process.stdout));
    child.stderr.on('data', keep(process.stderr));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

/**
 * Test files that failed only because the V8 runtime itself aborted ("# Fatal error
 * in …  Check failed: …", seen once on Node 24 freeing PGlite's WebAssembly code),
 * or undefined when any failure is a test's own. Such a file is run once more, and
 * said so; an assertion is never retried.
 */
function crashedOnly(out) {
  if (!/^# Fatal error in/m.test(out) || !/Check failed:/.test(out)) return undefined;
  const section = out.slice(out.lastIndexOf('failing tests:'));
  const failures = [...section.matchAll(/^test at (\S+?\.test\.ts):(\d+):(\d+)$/gm)];
  if (failures.length === 0) return undefined;
  // A file-level failure (the process died) is reported at 1:1 as 'test failed'.
  if (failures.some((m) => m[2] !== '1' || m[3] !== '1')) return undefined;
  return [...new Set(failures.map((m) => join(root, m[1])))];
}

const first = await run(files);
if (first.code === 0) process.exit(0);
const again = crashedOnly(first.out);
if (!again) process.exit(first.code);
console.error(
  `\nrun-tests: the V8 runtime aborted in ${again.length} file(s) (a crash of Node itself, not a failed assertion); running them once more:\n  ${again.join('\n  ')}`,
);
const second = await run(again);
console.error(
  second.code === 0
    ? 'run-tests: they passed on the second run (the crash above is recorded in this log)'
    : 'run-tests: they failed again',
);
process.exit(second.code);
