/**
 * The README's main command: `npm start` runs `myna demo`, a real process. It
 * must print the commands that load a type C card AP onto the demo card and read
 * it back — and those commands, run as printed (npx myna → bin/myna.mjs), must work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/** Logs in with the demo's one-time link, as the console does; answers the session token. */
async function consoleSession(server: string, ticket: string): Promise<string> {
  const r = await fetch(`${server}/v1/console/one-time`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ticket }),
  });
  assert.equal(r.status, 200, await r.text());
  const cookie = /myna_console=([^;]+)/.exec(r.headers.get('set-cookie') ?? '')?.[1];
  assert.ok(cookie);
  return cookie;
}

/** The console's counter: start a load and hand it to the demo terminal's agent. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the job's JSON, read freely
async function loadAtCounter(server: string, token: string, cardApId: string): Promise<any> {
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${server}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
    return { status: r.status, json: (await r.json()) as any };
  };
  for (let i = 0; i < 500; i++) {
    if ((await api('GET', '/terminal/terminals/demo-counter')).json.connected) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const job = await api('POST', '/v1/jobs', {
    op: 'load',
    terminalId: 'demo-counter',
    cardAps: [{ cardApId }],
    consent: { method: 'counter_form' },
  });
  assert.equal(job.status, 201, JSON.stringify(job.json));
  const handed = await api('POST', '/v1/terminals/demo-counter/handoff', { jobId: job.json.id });
  assert.equal(handed.json.via, 'channel', JSON.stringify(handed.json));
  for (;;) {
    const r = await api('GET', `/v1/jobs/${job.json.id}`);
    if (r.json.state !== 'running') return r.json;
    await new Promise((res) => setTimeout(res, 20));
  }
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

  // The console's way: the one-time link logs in; a load handed to the demo terminal
  // goes over its agent's socket to the card in its reader.
  const server = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
  const ticket = /#login=(ot_[0-9a-f]+)/.exec(out)?.[1];
  const cardApId = /card AP (ap_[0-9a-f]+):/.exec(out)?.[1];
  const aid = /AID ([0-9A-F]+)/.exec(out)?.[1];
  assert.ok(server && ticket && cardApId && aid, out);
  assert.match(
    out,
    /terminal demo-counter's agent is running; its reader holds the emulated card demo\/counter-card\.json \(made now\)/,
  );
  const session = await consoleSession(server, ticket);
  const loaded = await loadAtCounter(server, session, cardApId);
  assert.equal(loaded.state, 'done', JSON.stringify(loaded.error));
  assert.equal(loaded.result.results[0].status, 'loaded');
  demo.child.kill('SIGINT');
  assert.equal(await demo.stopped, 0, demo.output());
  // The agent wrote the counter's card back: the card AP is on it.
  const counterRead = run(['read', '--card', 'demo/counter-card.json', '--aid', aid]);
  assert.equal(counterRead.status, 0, counterRead.stdout + counterRead.stderr);
  assert.match(counterRead.stdout, /user ID: [0-9A-F]{26}/);

  // A second start reuses the card, the database and the seed; the card AP is already there.
  demo = startDemo(cwd, env);
  const again = await demo.ready;
  assert.match(again, /already exists; using it/);
  assert.doesNotMatch(again, /platform operator "admin" created/);
  assert.ok(!again.includes('1234'), 'the card’s PINs are printed only when the card is made');
  const twice = run(commands[0]!);
  assert.equal(twice.status, 1);
  assert.match(twice.stdout, /ALREADY_LOADED/);
  // The terminal enrolled again (the old agent revoked): the counter still works.
  const session2 = await consoleSession(
    /at (http:\/\/127\.0\.0\.1:\d+)/.exec(again)![1]!,
    /#login=(ot_[0-9a-f]+)/.exec(again)![1]!,
  );
  const server2 = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(again)![1]!;
  const cardApId2 = /card AP (ap_[0-9a-f]+):/.exec(again)![1]!;
  const refused = await loadAtCounter(server2, session2, cardApId2);
  assert.equal(refused.state, 'done', JSON.stringify(refused.error));
  assert.equal(refused.result.results[0].status, 'refused', 'already on the counter card');
  demo.child.kill('SIGINT');
  assert.equal(await demo.stopped, 0);

  // The demo terminal is a convenience: when it cannot start (here its card file is
  // broken) the demo says why and goes on serving the console and the CLI.
  writeFileSync(join(cwd, 'demo', 'counter-card.json'), '{ not a card');
  demo = startDemo(cwd, env);
  const without = await demo.ready;
  assert.match(
    without,
    /warning: the demo terminal's agent did not start \(.+\); the console works/,
  );
  assert.doesNotMatch(without, /agent is running/);
  assert.match(without, /#login=ot_[0-9a-f]+/);
  // The server answers: the demo is past its start and waits for Ctrl-C (a signal sent
  // the instant the line is printed could beat the handler on a loaded machine).
  const url = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(without)![1]!;
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  demo.child.kill('SIGINT');
  assert.equal(await demo.stopped, 0, demo.output());
});
