#!/usr/bin/env node
// Mutation testing (Stryker) of the modules that hold rules, parsers and state
// machines: does a test fail when the code is broken? One module at a time, with only
// its own test files, scores into bench/RESULTS.md. Too heavy for `npm test`; run it before
// resolving work on one of these modules.
//   npm run mutate                      every module below
//   npm run mutate -- loader/rules      one module (or several)
//   npm run mutate -- packages/apdu/src/tlv.ts   the module holding that file, only that file
//   npm run mutate -- packages/apdu/src/tlv.ts:120-180   only those lines (re-checking survivors;
//                                       never recorded as the module's score)
//   npm run mutate -- --changed         only the files of these modules changed since main
// (Stryker's own incremental mode is not used: with the command runner it cannot see
// which tests changed, and it credited new tests with nothing.)
// Equivalent mutants (no behaviour can tell them apart) are marked in the source with
// `// Stryker disable next-line <mutator>: why`, and counted apart from the score.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative, resolve } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

/** The modules under mutation and the tests that must catch them: the one place for both. */
export const MODULES = {
  'apdu/tlv': { mutate: ['packages/apdu/src/tlv.ts'], tests: ['packages/apdu/test/tlv.test.ts'] },
  'apdu/scp03': {
    mutate: ['packages/apdu/src/scp03.ts'],
    tests: [
      'packages/apdu/test/scp03.test.ts',
      'packages/apdu/test/scp03Wire.test.ts',
      'packages/apdu/test/scp03Refusals.test.ts',
    ],
  },
  // The card's published layout: limits, check digits, PIN rules (the capacity rule's
  // footprint lives here).
  profile: {
    mutate: [
      'packages/profile/src/limits.ts',
      'packages/profile/src/numbers.ts',
      'packages/profile/src/pins.ts',
    ],
    tests: [
      'packages/profile/test/profile.test.ts',
      'packages/profile/test/holderCardApPin.test.ts',
    ],
  },
  'loader/rules': {
    mutate: ['packages/loader/src/domain/rules/*.ts'],
    tests: [
      'packages/loader/test/rules.test.ts',
      'packages/loader/test/cardValidityRule.test.ts',
      'packages/loader/test/lapse.test.ts',
    ],
  },
  'loader/saga': {
    mutate: ['packages/loader/src/domain/saga.ts'],
    tests: ['packages/loader/test/saga.test.ts', 'packages/loader/test/rules.test.ts'],
  },
  'loader/audit': {
    mutate: ['packages/loader/src/store/audit.ts'],
    tests: ['packages/loader/test/audit.test.ts'],
  },
  'card/dfApplet': {
    mutate: ['packages/card/src/fs/dfApplet.ts'],
    tests: [
      'packages/card/test/dfApplet.test.ts',
      'packages/card/test/applets.test.ts',
      'packages/card/test/pin.test.ts',
      'packages/card/test/pinChange.test.ts',
      'packages/card/test/freeArea.test.ts',
    ],
  },
  'card/install': {
    // The rules are pure: their raw-byte tests are enough (freeArea.test.ts drives the
    // same rules through the card and costs 3 s a mutant).
    mutate: ['packages/card/src/freeArea/install.ts'],
    tests: ['packages/card/test/install.test.ts'],
  },
  'pki/crlIndex': {
    mutate: ['packages/pki/src/crlIndex.ts'],
    tests: [
      'packages/pki/test/crlIndex.test.ts',
      'packages/pki/test/crlIndexTrust.test.ts',
      'packages/pki/test/crlIndexRefusals.test.ts',
    ],
  },
  'pki/ocsp': { mutate: ['packages/pki/src/ocsp.ts'], tests: ['packages/pki/test/ocsp.test.ts'] },
};

const args = process.argv.slice(2);
const changed = args.includes('--changed');
const wanted = args.filter((a) => !a.startsWith('--'));

/** A file named by a module's entry: the file itself, or one in its `dir/*.ts`. */
function inGlob(file, glob) {
  if (!glob.endsWith('/*.ts')) return file === glob;
  const dir = glob.slice(0, -4);
  return file.startsWith(dir) && file.endsWith('.ts') && !file.slice(dir.length).includes('/');
}

/** Which modules (and, for a file argument, which of its files) this run mutates. */
function selection() {
  if (changed) {
    const diff = spawnSync('git', ['diff', '--name-only', 'main', '--', 'packages'], {
      cwd: root,
      encoding: 'utf8',
    });
    if (diff.status !== 0) {
      console.error(`mutate: git diff failed: ${diff.stderr}`);
      process.exit(2);
    }
    const files = new Set(diff.stdout.split('\n').filter(Boolean));
    return Object.entries(MODULES)
      .map(([name, m]) => [name, [...files].filter((f) => m.mutate.some((g) => inGlob(f, g)))])
      .filter(([, fs]) => fs.length > 0);
  }
  if (wanted.length === 0) return Object.entries(MODULES).map(([name, m]) => [name, m.mutate]);
  return wanted.map((w) => {
    if (MODULES[w]) return [w, MODULES[w].mutate];
    const lines = /:\d+-\d+$/.exec(w)?.[0] ?? '';
    const file = relative(root, resolve(w.slice(0, w.length - lines.length)));
    const hit = Object.entries(MODULES).find(([, m]) => m.mutate.some((g) => inGlob(file, g)));
    if (!hit) {
      console.error(
        `mutate: "${w}" is neither a module nor a file of one: ${Object.keys(MODULES).join(', ')}\n` +
          `mutate: 「${w}」は対象モジュールでもそのファイルでもありません`,
      );
      process.exit(2);
    }
    return [hit[0], [file + lines]];
  });
}

const outDir = join(root, 'reports', 'mutation');
mkdirSync(outDir, { recursive: true });
const stryker = join(root, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js');
const tsx = import.meta.resolve('tsx');
const scoresFile = join(root, 'bench', 'mutation.json');
const scores = existsSync(scoresFile) ? JSON.parse(readFileSync(scoresFile, 'utf8')) : {};

/** Counts of a Stryker JSON report (mutation-testing-report-schema). */
function count(report) {
  const c = { mutants: 0, killed: 0, timeout: 0, survived: 0, equivalent: 0, errors: 0 };
  for (const f of Object.values(report.files))
    for (const m of f.mutants) {
      c.mutants++;
      if (m.status === 'Killed') c.killed++;
      else if (m.status === 'Timeout') c.timeout++;
      else if (m.status === 'Survived' || m.status === 'NoCoverage') c.survived++;
      else if (m.status === 'Ignored') c.equivalent++;
      else c.errors++; // CompileError / RuntimeError: the mutant could not run
    }
  return c;
}

const score = (c) =>
  ((100 * (c.killed + c.timeout)) / Math.max(1, c.killed + c.timeout + c.survived)).toFixed(1);

/** Writes the scores so far (after each module: a long run cut short keeps what it found). */
function writeScores() {
  writeFileSync(scoresFile, `${JSON.stringify(scores, null, 2)}\n`);
  const rows = Object.entries(MODULES)
    .filter(([name]) => scores[name])
    .map(([name, m]) => {
      const s = scores[name];
      return `| \`${name}\` (${m.tests.map((t) => t.split('/').pop()).join(', ')}) | ${s.mutants} | ${s.killed + s.timeout} | ${s.survived} | ${s.equivalent} | **${s.score}%** | ${s.date}, ${s.minutes} min, load ${s.load} |`;
    });
  const section = [
    '## Mutation testing (scripts/mutate.mjs, Stryker 9)',
    '',
    "Command: `npm run mutate [-- module|file]` (Stryker with the command runner over Node's test runner, one module at a time with only its own tests, `coverageAnalysis: off`; `--changed` mutates only the files changed since main). Score = killed / (killed + survived); mutants marked equivalent in the source (`// Stryker disable next-line …: why`) are counted apart. Goal ≥ 90 % per module.",
    '',
    '| module (its tests) | mutants | killed + timeout | survived | equivalent | score | run |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  const results = join(root, 'bench', 'RESULTS.md');
  let text = readFileSync(results, 'utf8');
  const start = '<!-- mutation:start -->';
  const end = '<!-- mutation:end -->';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  const block = `${start}\n${section}\n${end}`;
  text =
    a >= 0 && b > a
      ? text.slice(0, a) + block + text.slice(b + end.length)
      : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(results, text);
}

let failed = 0;
for (const [name, mutate] of selection()) {
  const m = MODULES[name];
  const slug = name.replace('/', '-');
  const report = join(outDir, `${slug}.json`);
  const config = {
    $schema: './node_modules/@stryker-mutator/core/schema/stryker-schema.json',
    testRunner: 'command',
    // The tests run on the sources through tsx, as `npm test` runs them.
    commandRunner: {
      command: `node --conditions=source --import=${tsx} --test --test-reporter=dot ${m.tests.join(' ')}`,
    },
    mutate,
    // In place: packages import each other through node_modules links to the real
    // packages/ directory, so a sandbox copy would test the unmutated code. Stryker puts
    // the files back when it ends (also on Ctrl-C): do not edit them during a run.
    inPlace: true,
    coverageAnalysis: 'off',
    // Stryker would otherwise write `// @ts-nocheck` into every source file of the tree
    // (in place!); tsx never type-checks, so the header buys nothing here.
    disableTypeChecks: false,
    // One test process at a time unless told (`MUTATE_CONCURRENCY=2`): the machine is shared.
    concurrency: Math.max(1, Number(process.env.MUTATE_CONCURRENCY ?? 1) || 1),
    timeoutMS: 30_000,
    reporters: ['clear-text', 'progress', 'json'],
    jsonReporter: { fileName: report },
    clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
    tempDirName: join('reports', 'mutation', '.tmp'),
    cleanTempDir: true,
  };
  const configFile = join(outDir, `${slug}.stryker.json`);
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  console.log(`\n=== ${name}: ${mutate.join(' ')} (tests: ${m.tests.join(' ')}) ===`);
  const t0 = Date.now();
  const load = loadavg()[0];
  const r = spawnSync(process.execPath, [stryker, 'run', configFile], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  if (r.status !== 0 || !existsSync(report)) {
    console.error(`mutate: Stryker failed on ${name} (exit ${r.status})`);
    failed++;
    continue;
  }
  const c = count(JSON.parse(readFileSync(report, 'utf8')));
  // A one-file run of a many-file module, or a run of some lines, does not stand for the module.
  if (mutate.length === m.mutate.length && !mutate.some((f) => /:\d+-\d+$/.test(f))) {
    scores[name] = {
      ...c,
      score: score(c),
      minutes: ((Date.now() - t0) / 60_000).toFixed(1),
      load: load.toFixed(1),
      date: new Date().toISOString().slice(0, 10),
    };
  }
  writeScores();
  console.log(
    `${name}: ${score(c)}% — ${c.killed + c.timeout} killed of ${c.mutants} mutants, ${c.survived} survived, ${c.equivalent} marked equivalent${c.errors ? `, ${c.errors} could not run` : ''}`,
  );
}

process.exit(failed > 0 ? 1 : 0);
