/**
 * Help without loading: `myna --help` and `myna <group> --help` read the command
 * manifest, list a group's commands, and import no server, database or X.509 library —
 * from the sources and from the compiled dist of each package.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from '../src/main.ts';
import { loadManifest } from '../src/commands/index.ts';
import { manifest } from '../src/commands/manifest.ts';
import { MANIFEST_FILE, manifestSource } from './writeManifest.ts';

const MYNA = fileURLToPath(new URL('../../../bin/myna.mjs', import.meta.url));
const NO_HEAVY = fileURLToPath(new URL('./noHeavyImports.mjs', import.meta.url));

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const saved = process.env.MYNA_LANG;
  process.env.MYNA_LANG = 'en';
  try {
    const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    if (saved === undefined) delete process.env.MYNA_LANG;
    else process.env.MYNA_LANG = saved;
  }
}

test('the command manifest is what the command modules declare (npm run cli-manifest)', async () => {
  assert.equal(readFileSync(MANIFEST_FILE, 'utf8'), await manifestSource());
  assert.deepEqual(
    manifest.map((c) => c.path.join(' ')),
    (await loadManifest()).map((c) => c.path.join(' ')),
  );
});

test('myna <group> --help lists the group’s commands; a bare group or a wrong verb says so', async () => {
  // A group that is also a command of its own (`myna feed`, beside `myna feed daily`)
  // answers --help with that command's usage: the test below checks it.
  const commands = new Set(manifest.filter((c) => c.path.length === 1).map((c) => c.path[0]!));
  const groups = new Set(
    manifest.filter((c) => c.path.length > 1 && !commands.has(c.path[0]!)).map((c) => c.path[0]!),
  );
  assert.ok(groups.has('pki') && groups.has('card'));
  for (const g of groups) {
    const r = await run([g, '--help']);
    assert.equal(r.code, 0, `${g}: ${r.err}`);
    assert.match(r.out, new RegExp(`^usage: myna ${g} <command>`));
    const listed = [...r.out.matchAll(/^ {2}(\S+(?: \S+)*?) {2,}/gm)].map((m) => m[1]);
    const want = manifest.filter((c) => c.path[0] === g && c.path.length > 1);
    assert.deepEqual(
      listed,
      want.map((c) => c.path.join(' ')),
      r.out,
    );
  }
  const bare = await run(['pki']);
  assert.equal(bare.code, 2);
  assert.match(bare.err, /pki revoke/);
  assert.doesNotMatch(bare.err, /unknown command/);
  const wrong = await run(['pki', 'bogus']);
  assert.equal(wrong.code, 2);
  assert.match(wrong.err, /unknown command "pki bogus"/);
  assert.match(wrong.err, /pki revoke/);
  assert.doesNotMatch(wrong.err, /card create/, 'only the group is listed');
  // A command that is also a group's first word keeps its own help.
  const feed = await run(['feed', '--help']);
  assert.equal(feed.code, 0);
  assert.match(feed.out, /^myna feed \[--since N\]/);
  assert.equal((await run(['pki', 'revoke', '--help'])).code, 0);
});

for (const [mode, nodeOptions] of [
  ['sources', process.env.NODE_OPTIONS ?? ''],
  ['compiled dist', ''],
] as const) {
  test(`help imports no fastify, pglite, pg or pkijs (${mode})`, () => {
    for (const args of [['--help'], ['pki', '--help'], ['card', 'create', '--help']]) {
      const r = spawnSync(process.execPath, ['--import', NO_HEAVY, MYNA, ...args], {
        env: { ...process.env, NODE_OPTIONS: nodeOptions, MYNA_LANG: 'en' },
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /usage: myna|myna card create/);
    }
    // The check can fail: a command that runs imports them, and the hook refuses.
    const r = spawnSync(process.execPath, ['--import', NO_HEAVY, MYNA, 'pki', 'chain'], {
      env: { ...process.env, NODE_OPTIONS: nodeOptions, MYNA_LANG: 'en' },
      encoding: 'utf8',
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /imported pkijs|imported @peculiar|imported/);
  });
}
