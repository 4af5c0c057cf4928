#!/usr/bin/env node
// Whole-process start-up of `myna`: median wall time of 5 runs per command.
//   node bench/startup.mjs [REPO]   REPO defaults to this checkout (e.g. an older worktree to compare)
// `serve` is timed to its "listening" line (PGlite in a throwaway MYNA_HOME), then stopped.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const repo = resolve(process.argv[2] ?? new URL('..', import.meta.url).pathname);
const bin = join(repo, 'bin', 'myna.mjs');
const env = { ...process.env, NODE_OPTIONS: '', MYNA_LANG: 'en' };

function once(args, until) {
  const home = mkdtempSync(join(tmpdir(), 'myna-startup-'));
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, args, { env: { ...env, MYNA_HOME: home }, cwd: home });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      if (until && until.test(out)) p.kill('SIGTERM');
    });
    p.stderr.on('data', (d) => (out += d));
    let ms;
    p.stdout.on('data', () => {
      if (until && ms === undefined && until.test(out)) ms = performance.now() - t0;
    });
    p.on('exit', (code) => {
      rmSync(home, { recursive: true, force: true });
      // A command the checkout does not know (exit 2) is still timed: that is its start-up.
      if (!until && code !== 0 && code !== 2)
        fail(new Error(`${args.join(' ')}: exit ${code}\n${out}`));
      else done(ms ?? performance.now() - t0);
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cases = [
  ['node -e 0', ['-e', '0']],
  ['myna --help', [bin, '--help']],
  ['myna pki --help', [bin, 'pki', '--help']],
  ['myna card create --help', [bin, 'card', 'create', '--help']],
  ['myna serve (to listening)', [bin, 'serve', '--port', '0'], /listening on/],
];
console.log(`repo ${repo}, node ${process.version}`);
for (const [name, args, until] of cases) {
  await once(args, until); // warm the file cache
  const runs = [];
  for (let i = 0; i < 5; i++) runs.push(await once(args, until));
  console.log(`${name.padEnd(28)} ${median(runs).toFixed(0).padStart(6)} ms`);
}
