/**
 * Whole-process start-up of `myna`: the compiled JavaScript that `npm ci` builds
 * (packages/*\/dist) against the same commands run from the TypeScript sources through
 * tsx (`--conditions=source`, how every command ran before the build), interleaved
 * round by round, medians. `serve` is timed to its "listening" line on PGlite: cold
 * (a new MYNA_HOME: the database is created) and warm (the same home started again).
 *   npm run bench -- startup
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { machine, ms, ratio, summarize, writeResults } from './stats.ts';

const ROUNDS = 7;
const repo = new URL('..', import.meta.url).pathname;
const bin = join(repo, 'bin', 'myna.mjs');
const tsx = import.meta.resolve('tsx');
type Way = 'compiled' | 'sources';
const nodeOptions: Record<Way, string> = {
  compiled: '',
  sources: `--conditions=source --import=${tsx}`,
};

/** One process, from spawn to exit (or to the line `until`, then stopped). */
function once(way: Way, args: string[], home: string, until?: RegExp): Promise<number> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, args, {
      env: { ...process.env, NODE_OPTIONS: nodeOptions[way], MYNA_HOME: home, MYNA_LANG: 'en' },
      cwd: home,
    });
    let out = '';
    let at: number | undefined;
    const seen = (d: Buffer) => {
      out += d;
      if (until && at === undefined && until.test(out)) {
        at = performance.now() - t0;
        p.kill('SIGTERM');
      }
    };
    p.stdout.on('data', seen);
    p.stderr.on('data', seen);
    p.on('exit', (code) => {
      if (!until && code !== 0) fail(new Error(`${args.join(' ')} (${way}): exit ${code}\n${out}`));
      else if (until && at === undefined)
        fail(new Error(`${args.join(' ')}: never listened\n${out}`));
      else done(at ?? performance.now() - t0);
    });
  });
}

interface Case {
  readonly name: string;
  readonly args: string[];
  readonly until?: RegExp;
  /** A home kept across runs (warm start) instead of a new one each run. */
  readonly keepHome?: boolean;
}
const cases: Case[] = [
  { name: 'myna --help', args: [bin, '--help'] },
  { name: 'myna pki --help', args: [bin, 'pki', '--help'] },
  { name: 'myna card create --help', args: [bin, 'card', 'create', '--help'] },
  {
    name: 'myna serve, cold (to listening)',
    args: [bin, 'serve', '--port', '0'],
    until: /listening on/,
  },
  {
    name: 'myna serve, warm (to listening)',
    args: [bin, 'serve', '--port', '0'],
    until: /listening on/,
    keepHome: true,
  },
];

const newHome = () => mkdtempSync(join(tmpdir(), 'myna-startup-'));
const load0 = loadavg()[0]!;
const nodeAlone: number[] = [];
const rows: string[] = [];
console.log(`${machine()}; load average ${load0.toFixed(2)}`);
for (const c of cases) {
  const samples: Record<Way, number[]> = { compiled: [], sources: [] };
  const homes: Record<Way, string> = { compiled: newHome(), sources: newHome() };
  for (const way of ['compiled', 'sources'] as const) await once(way, c.args, homes[way], c.until); // warm file cache (and the warm homes)
  for (let i = 0; i < ROUNDS; i++) {
    if (c === cases[0]) nodeAlone.push(await once('compiled', ['-e', '0'], homes.compiled));
    for (const way of ['compiled', 'sources'] as const) {
      const home = c.keepHome ? homes[way] : newHome();
      samples[way].push(await once(way, c.args, home, c.until));
      if (!c.keepHome) rmSync(home, { recursive: true, force: true });
    }
  }
  for (const h of Object.values(homes)) rmSync(h, { recursive: true, force: true });
  const a = summarize(samples.compiled).median;
  const b = summarize(samples.sources).median;
  console.log(
    `${c.name.padEnd(34)} compiled ${ms(a).padStart(8)}  sources ${ms(b).padStart(8)}  ${ratio(b, a)}`,
  );
  rows.push(`| ${c.name} | ${ms(a)} | ${ms(b)} | ${ratio(b, a)} |`);
}
const bare = summarize(nodeAlone).median;
const load1 = loadavg()[0]!;
console.log(`node -e 0: ${ms(bare)}; load average ${load1.toFixed(2)}`);
await writeResults(
  'startup',
  [
    '## Start-up of `myna`: compiled JavaScript vs the sources through tsx (bench/startup.bench.ts)',
    '',
    `Machine: ${machine()}. Command: \`npm run bench -- startup\`. Whole-process wall time, median of ${ROUNDS} interleaved rounds; load average ${load0.toFixed(2)} at the start, ${load1.toFixed(2)} at the end. \`node -e 0\` alone: ${ms(bare)}.`,
    '',
    '| command | compiled (dist) | sources (tsx) | sources / compiled |',
    '|---|---|---|---|',
    ...rows,
    '',
    'Cold `serve` creates the PGlite database, applies every migration and makes the platform operator; warm `serve` opens them again.',
  ].join('\n'),
);
