/**
 * A whole load at the counter through the REAL terminal agent: the console in
 * Debian's chromium (headless, playwright-core), a real loader with the terminal
 * channel, `myna terminal enrol` and `myna terminal run --reader N` as child
 * processes (the CLI a counter PC runs), and the emulated card in a vpcd reader
 * of the machine's pcscd. The browser never touches the card: the job goes over
 * the agent's socket (the hand-off answers `via: "channel"`), the agent relays it
 * to the reader, and the card in the reader holds the card AP afterwards.
 *
 * Without chromium, pcscd or vsmartcard-vpcd the test is skipped with one line,
 * except under CI (CI set), where it fails.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ApiClient } from '@myna-ap/loader';
import { pcscSkipReason, pollUntil, startPcscStack, type PcscStack } from '@myna-ap/transport';
import { startCounter, type Counter } from './counter.ts';

const CHROMIUM = '/usr/bin/chromium';
const PKG = fileURLToPath(new URL('..', import.meta.url));
const MYNA = fileURLToPath(new URL('../../../bin/myna.mjs', import.meta.url));
const OUT = join(PKG, 'test-output', 'screens');
/** The vpcd reader the card is put in (reader 0 is left to other tests' habits). */
const READER = 1;

const ci = !!process.env.CI && !/^(0|false|)$/i.test(process.env.CI);
if (!existsSync(CHROMIUM) && ci) {
  throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)`);
}
// Under CI a missing pcscd or vpcd throws here (the file fails); elsewhere a reason.
const pcsc = await pcscSkipReason();
const skip = !existsSync(CHROMIUM)
  ? `${CHROMIUM} not found: browser test with the terminal agent skipped`
  : (pcsc ?? false);

let counter: Counter;
let stack: PcscStack;
let browser: Browser;
let page: Page;
let home: string;
let agent: ChildProcess | undefined;
let agentOut = '';
const pageErrors: string[] = [];

/** `myna ARGS` as a counter PC runs it (TypeScript sources, as the tests run them). */
function myna(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--conditions=source', MYNA, ...args], {
    env: { ...process.env, MYNA_HOME: home, MYNA_LANG: 'en' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function finished(child: ChildProcess): Promise<{ code: number | null; out: string }> {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  return { code, out };
}

before(async () => {
  if (skip) return;
  const b = spawnSync('npm', ['run', 'build'], { cwd: PKG, encoding: 'utf8' });
  assert.equal(b.status, 0, `console build failed:\n${b.stdout}\n${b.stderr}`);
  await mkdir(OUT, { recursive: true });
  home = await mkdtemp(join(tmpdir(), 'myna-console-agent-'));
  counter = await startCounter({ relay: false });
  stack = await startPcscStack();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

after(async () => {
  if (skip) return;
  if (agent && agent.exitCode === null) {
    agent.kill('SIGTERM');
    await new Promise((r) => agent!.once('exit', r));
  }
  await browser?.close();
  await stack?.stop();
  await counter?.close();
  await rm(home, { recursive: true, force: true });
});

const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

async function accessible(name: string): Promise<void> {
  await page.evaluate(await axeSource);
  const v = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run(): Promise<{ violations: { id: string; impact: string }[] }> };
      }
    ).axe;
    return (await axe.run()).violations
      .filter((x) => x.impact === 'serious' || x.impact === 'critical')
      .map((x) => `${x.id} (${x.impact})`);
  });
  assert.deepEqual(v, [], `axe on ${name}`);
}

async function bothLanguages(name: string): Promise<void> {
  await page.screenshot({ path: join(OUT, `${name}.ja.png`), fullPage: true });
  await accessible(`${name} (ja)`);
  await page.getByRole('button', { name: /English|英語/ }).click();
  await page.waitForFunction("document.documentElement.lang === 'en'");
  await page.screenshot({ path: join(OUT, `${name}.en.png`), fullPage: true });
  await accessible(`${name} (en)`);
  await page.getByRole('button', { name: /日本語|Japanese/ }).click();
  await page.waitForFunction("document.documentElement.lang === 'ja'");
}

test(
  'a load at the counter through myna terminal run and a card in the vpcd reader',
  { skip },
  async () => {
    const { url, demo } = counter;
    // The holder's card goes into the reader before the agent opens it.
    const card = await counter.newCard();
    await stack.insert(card, READER);

    // The counter PC enrols its agent; the administrator approves the code in the console.
    const enrol = await finished(
      myna(['terminal', 'enrol', '--server', url, '--terminal', demo.terminalId]),
    );
    assert.equal(enrol.code, 0, enrol.out);
    const code = /approval code: (\S+)/.exec(enrol.out)?.[1];
    assert.ok(code, enrol.out);

    await page.goto(url + '/console/');
    await page.getByLabel('ログインID').fill(demo.operator);
    await page.getByLabel('パスワード').fill(counter.password);
    await page.getByRole('button', { name: 'ログインする' }).click();
    await page.getByRole('heading', { name: '窓口：カードAPの搭載・削除' }).waitFor();
    await page.getByRole('link', { name: '搭載端末' }).click();
    await page.getByLabel('承認コード').fill(code);
    await page.getByRole('button', { name: '承認する' }).click();
    await page.getByRole('status').filter({ hasText: '承認しました' }).waitFor();

    // The agent: one socket to the server, the card in vpcd reader READER.
    agent = myna(['terminal', 'run', '--reader', String(READER)]);
    agent.stdout?.on('data', (d: Buffer) => (agentOut += d.toString()));
    agent.stderr?.on('data', (d: Buffer) => (agentOut += d.toString()));
    await pollUntil(
      'the agent connected with the card in its reader',
      async () => (/connected to the server/.test(agentOut) ? true : undefined),
      30_000,
    ).catch((e: Error) => assert.fail(`${e.message}\n${agentOut}`));

    // Every hand-off of this test must go over the agent's socket, none to a queue.
    const via: string[] = [];
    page.on('response', (r) => {
      if (r.url().endsWith('/handoff') && r.request().method() === 'POST') {
        void r.json().then((j: { via: string }) => via.push(j.via));
      }
    });

    await page.getByRole('link', { name: /窓口/ }).click();
    await page.getByRole('heading', { name: '窓口：カードAPの搭載・削除' }).waitFor();
    await page.getByRole('button', { name: 'カードを読み取る' }).click();
    await page.getByRole('heading', { name: '読み取ったカード' }).waitFor();
    const facts = await page.locator('.facts').first().innerText();
    const cardId = /[0-9A-F]{32}/.exec(facts)?.[0];
    assert.ok(cardId, facts);
    await bothLanguages('26-agent-card');

    await page.getByRole('radio', { name: '搭載する' }).check();
    await page.getByRole('checkbox', { name: /デモ図書館カード/ }).check();
    await page.getByRole('button', { name: '次へ' }).click();
    await page.getByRole('checkbox', { name: 'ご本人の希望であることを確認しました' }).check();
    await page.getByRole('button', { name: '搭載を実行する' }).click();
    await page.getByRole('heading', { name: 'マイナンバーカード カードAP 受付票' }).waitFor();
    assert.match(await page.locator('.results').innerText(), /デモ図書館カード.*搭載しました/);
    await bothLanguages('27-agent-result');

    assert.ok(via.length >= 2, `hand-offs seen: ${via.join(', ')}`);
    assert.deepEqual(new Set(via), new Set(['channel']), `hand-offs: ${via.join(', ')}`);
    assert.match(agentOut, /card inserted \(ATR [0-9A-F]+\)/);
    assert.match(agentOut, /job \S+: done/);
    // The card in the reader holds it (the server's record says so, and so does the card).
    const api = new ApiClient(url, demo.login.token);
    const instances = await api.call('listInstances', { params: { cardId } });
    assert.deepEqual(
      instances.map((i) => [i.cardApId, i.state]),
      [[demo.cardApId, 'loaded']],
    );
    const select = Buffer.from(
      `00A40400${(demo.aid.length / 2).toString(16).padStart(2, '0')}${demo.aid}`,
      'hex',
    );
    const sw = Buffer.from(card.transmit(select)).subarray(-2).toString('hex');
    assert.equal(sw, '9000', 'the loaded card AP answers SELECT on the card in the reader');

    agent.kill('SIGTERM');
    const code0 = await new Promise<number | null>((r) => agent!.once('exit', r));
    assert.equal(code0, 0, agentOut);
    assert.deepEqual(pageErrors, [], 'errors in the page');
  },
);
