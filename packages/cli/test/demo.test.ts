/**
 * The README's main command: `npm start` runs `myna demo`, a real process. It
 * must print the commands that load a type C card AP onto the demo card and read
 * it back — and those commands, run as printed (npx myna → bin/myna.mjs), must work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MYNA = fileURLToPath(new URL('../../../bin/myna.mjs', import.meta.url));

/** Starts `myna demo` in `cwd`; resolves with its output once it says how to stop it. */
function startDemo(cwd: string, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [MYNA, 'demo', '--port', '0'], { cwd, env });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      if (out.includes('Ctrl-C')) resolve(out);
    });
    child.once('exit', (code) =>
      reject(new Error(`demo exited (${code}) before it was ready:\n${out}`)),
    );
  });
  const stopped = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, ready, stopped, output: () => out };
}

test('npm start (myna demo): the printed commands load a type C card AP and read it back', async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'myna-demo-'));
  // No MYNA_HOME: the demo keeps its data in the default home, ~/.myna — here under a
  // temporary HOME.
  const env = {
    ...process.env,
    HOME: join(cwd, 'home'),
    MYNA_HOME: undefined,
    MYNA_LANG: 'en',
    MYNA_TOKEN: undefined,
    MYNA_SERVER: undefined,
  };
  delete env.MYNA_HOME;
  let demo = startDemo(cwd, env);
  t.after(() => {
    demo.child.kill('SIGKILL');
    rmSync(cwd, { recursive: true, force: true });
  });
  const out = await demo.ready;
  assert.match(out, /card written to demo\/card\.json/);
  assert.match(out, /PIN \(JPKI auth, 券面事項入力補助, 住基\): 1234/);
  assert.match(out, /platform operator "admin" created/);
  const commands = [...out.matchAll(/^ {2}npx myna (.+)$/gm)].map((m) => m[1]!.split(' '));
  assert.equal(commands.length, 3, out);
  const run = (args: string[]) =>
    spawnSync(process.execPath, [MYNA, ...args], { cwd, env, encoding: 'utf8' });
  const [load, read, diagnose] = commands.map(run);
  assert.equal(load!.status, 0, load!.stdout + load!.stderr);
  const userId = /user ID ([0-9A-F]{26})/.exec(load!.stdout)?.[1];
  assert.ok(userId, load!.stdout);
  assert.equal(read!.status, 0, read!.stderr);
  assert.match(read!.stdout, new RegExp(`type C\\)\\n  user ID: ${userId}`));
  assert.equal(diagnose!.status, 0, diagnose!.stdout + diagnose!.stderr);
  assert.match(diagnose!.stdout, /auth certificate: valid/);
  demo.child.kill('SIGINT');
  assert.equal(await demo.stopped, 0, demo.output());

  // A second start reuses the card, the database and the seed; the card AP is already there.
  demo = startDemo(cwd, env);
  const again = await demo.ready;
  assert.match(again, /already exists; using it/);
  assert.doesNotMatch(again, /platform operator "admin" created/);
  assert.ok(!again.includes('1234'), 'the card’s PINs are printed only when the card is made');
  const twice = run(commands[0]!);
  assert.equal(twice.status, 1);
  assert.match(twice.stdout, /ALREADY_LOADED/);
  demo.child.kill('SIGINT');
  assert.equal(await demo.stopped, 0);
});
