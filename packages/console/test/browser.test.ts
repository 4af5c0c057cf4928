/**
 * The operator console in a real browser: Debian's /usr/bin/chromium, headless,
 * driven by playwright-core, against a real loader server with the demo seeded
 * and the terminal's relay in this process (test/counter.ts). It logs in, reads
 * a card, loads a type C and a type D card AP, deletes one, meets a pulled card
 * and a full area, walks every screen, and on each screen takes a screenshot in
 * Japanese and English (test-output/screens/) and runs axe-core: no serious or
 * critical violation, and no Content-Security-Policy violation anywhere.
 *
 * Without chromium the test is skipped with one line, except under CI (CI=1, CI=true):
 * there it fails.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ApiClient, authenticate, login } from '@myna-ap/loader';
import { PLATFORM_PASSWORD, startCounter, type Counter } from './counter.ts';

const CHROMIUM = '/usr/bin/chromium';
const PKG = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(PKG, 'test-output', 'screens');
const missing = !existsSync(CHROMIUM);
// CI=1, CI=true, …: a CI run must not pass by skipping the browser.
const ci = !!process.env.CI && !/^(0|false|)$/i.test(process.env.CI);
if (missing && ci) {
  throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)`);
}
const skip = missing ? `${CHROMIUM} not found: browser tests skipped` : false;

let counter: Counter;
let browser: Browser;
let page: Page;
const cspViolations: string[] = [];
const pageErrors: string[] = [];

before(async () => {
  if (skip) return;
  const b = spawnSync('npm', ['run', 'build'], { cwd: PKG, encoding: 'utf8' });
  assert.equal(b.status, 0, `console build failed:\n${b.stdout}\n${b.stderr}`);
  await mkdir(OUT, { recursive: true });
  counter = await startCounter();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('console', (m) => {
    if (/Content.Security.Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

after(async () => {
  if (skip) return;
  await browser?.close();
  await counter?.close();
});

const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core on the page as it stands: serious and critical violations fail. */
async function accessible(name: string): Promise<void> {
  // page.evaluate runs outside the page's CSP (an injected <script> would be refused).
  await page.evaluate(await axeSource);
  const v = await page.evaluate(async () => {
    const r = await (
      globalThis as unknown as {
        axe: {
          run(): Promise<{
            violations: {
              id: string;
              impact: string;
              help: string;
              nodes: { target: string[] }[];
            }[];
          }>;
        };
      }
    ).axe.run();
    return r.violations
      .filter((x) => x.impact === 'serious' || x.impact === 'critical')
      .map(
        (x) =>
          `${x.id} (${x.impact}): ${x.help} at ${x.nodes.map((n) => n.target.join(' ')).join(', ')}`,
      );
  });
  assert.deepEqual(v, [], `axe on ${name}`);
}

/** A screenshot and an axe check of the screen in Japanese, then in English, back to Japanese. */
async function bothLanguages(name: string): Promise<void> {
  assert.equal(await page.getAttribute('html', 'lang'), 'ja');
  await page.screenshot({ path: join(OUT, `${name}.ja.png`), fullPage: true });
  await accessible(`${name} (ja)`);
  await page.getByRole('button', { name: /English|英語/ }).click();
  await page.waitForFunction("document.documentElement.lang === 'en'");
  await page.screenshot({ path: join(OUT, `${name}.en.png`), fullPage: true });
  await accessible(`${name} (en)`);
  await page.getByRole('button', { name: /日本語|Japanese/ }).click();
  await page.waitForFunction("document.documentElement.lang === 'ja'");
}

async function readCard(): Promise<void> {
  await page.getByRole('button', { name: 'カードを読み取る' }).click();
}

async function pickAndRun(action: '搭載する' | '削除する', names: string[]): Promise<void> {
  await page.getByRole('radio', { name: action }).check();
  for (const n of names) await page.getByRole('checkbox', { name: new RegExp(n) }).check();
  await page.getByRole('button', { name: '次へ' }).click();
  await page.getByRole('checkbox', { name: 'ご本人の希望であることを確認しました' }).check();
}

test('the console at a counter, in Japanese and English', { skip }, async () => {
  const { url, demo } = counter;
  const cardC = await counter.newCard();

  // The root URL sends a browser to the console; every console answer carries the CSP.
  const res = await page.goto(url + '/');
  assert.equal(new URL(page.url()).pathname, '/console/');
  assert.match(res?.headers()['content-security-policy'] ?? '', /script-src 'self'/);
  await page.getByRole('heading', { name: 'ログイン' }).waitFor();
  await bothLanguages('01-login');

  // A wrong password: the API's Japanese message, nothing else.
  await page.getByLabel('ログインID').fill(demo.operator);
  await page.getByLabel('パスワード').fill('wrong password');
  await page.getByRole('button', { name: 'ログインする' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').innerText(), /パスワード|ログイン/);
  await page.screenshot({ path: join(OUT, '02-login-refused.ja.png'), fullPage: true });

  await page.getByLabel('ログインID').fill(demo.operator);
  await page.getByLabel('パスワード').fill(counter.password);
  await page.getByRole('button', { name: 'ログインする' }).click();
  await page.getByRole('heading', { name: '窓口：カードAPの搭載・削除' }).waitFor();
  await bothLanguages('03-counter-start');

  // Read the card: serial, municipality, expiry, status and the free areas.
  counter.insert(cardC);
  await readCard();
  await page.getByRole('heading', { name: '読み取ったカード' }).waitFor();
  const facts = await page.locator('.facts').first().innerText();
  assert.match(facts, /131016/);
  assert.match(facts, /[0-9A-F]{32}/);
  assert.equal(await page.locator('.bar').count(), 2);
  await bothLanguages('04-counter-card');

  // Load the type C (demo library card) and the type D (taxi subsidy, local area).
  await pickAndRun('搭載する', ['デモ図書館カード', 'タクシー運賃助成']);
  await bothLanguages('05-counter-consent');
  await page.getByRole('button', { name: '搭載を実行する' }).click();
  await page.getByRole('heading', { name: 'マイナンバーカード カードAP 受付票' }).waitFor();
  const results = await page.locator('.results').innerText();
  assert.equal((results.match(/搭載しました/g) ?? []).length, 2, results);
  await bothLanguages('06-counter-result');

  const api = new ApiClient(url, demo.login.token);
  const cardId = /[0-9A-F]{32}/.exec(facts)![0];
  const loaded = await api.call('listInstances', { params: { cardId } });
  assert.equal(loaded.filter((i) => i.state === 'loaded').length, 2);

  // Delete the library card: read again, our two card APs are shown on the card.
  await page.getByRole('button', { name: '次の住民の方へ（最初から）' }).click();
  await readCard();
  await page.getByRole('heading', { name: '読み取ったカード' }).waitFor();
  assert.match(await page.locator('.panel').first().innerText(), /タクシー運賃助成/);
  await pickAndRun('削除する', ['デモ図書館カード']);
  await page.getByRole('button', { name: '削除を実行する' }).click();
  await page.getByRole('heading', { name: 'マイナンバーカード カードAP 受付票' }).waitFor();
  assert.match(await page.locator('.results').innerText(), /削除しました/);
  const after = await api.call('listInstances', { params: { cardId } });
  assert.deepEqual(after.map((i) => i.state).sort(), ['deleted', 'loaded']);

  // A card pulled away: what happened and what to do, in plain words.
  await page.getByRole('button', { name: '次の住民の方へ（最初から）' }).click();
  counter.insert(undefined);
  await readCard();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').innerText(), /カードを置き直して/);
  await bothLanguages('07-counter-card-removed');

  // A full area: the library card does not fit in an extended area of 40 bytes.
  // (After a pulled card the operator simply reads again.)
  counter.insert(await counter.newCard({ extended: 40 }));
  await readCard();
  await page.getByRole('heading', { name: '読み取ったカード' }).waitFor();
  await pickAndRun('搭載する', ['デモ図書館カード']);
  await page.getByRole('button', { name: '搭載を実行する' }).click();
  await page.getByRole('heading', { name: 'マイナンバーカード カードAP 受付票' }).waitFor();
  const full = await page.locator('.results').innerText();
  assert.match(full, /できませんでした/);
  assert.match(full, /拡張利用領域/);
  assert.match(
    full,
    /不要になったカードAPを削除するか.*（空き [0-9]+ バイト、必要 [0-9]+ バイト）/,
  );
  await bothLanguages('08-counter-area-full');

  // The other screens.
  counter.insert(cardC);
  const screens: [string, string, string][] = [
    ['cardAps', 'カードAP登録', '09-card-aps'],
    ['operators', 'オペレーター', '10-operators'],
    ['terminals', '搭載端末', '11-terminals'],
    ['audit', '監査ログ', '12-audit'],
    ['diagnose', '障害切り分け', '13-diagnose'],
  ];
  for (const [hash, heading, file] of screens) {
    await page.getByRole('link', { name: new RegExp(heading) }).click();
    assert.equal(new URL(page.url()).hash, `#/${hash}`);
    await page.getByRole('heading', { name: heading, level: 2 }).waitFor();
    if (hash === 'cardAps') {
      await page.getByRole('cell', { name: counter.demo.aid }).waitFor();
    }
    if (hash === 'audit') {
      await page.getByRole('status').filter({ hasText: '件' }).waitFor();
      await page.getByLabel('操作', { exact: true }).fill('load');
      await page.getByRole('button', { name: '検索する' }).click();
      const rows = await page.locator('tbody').innerText();
      assert.match(rows, /load\.refused|cardap\.load|load/);
    }
    if (hash === 'diagnose') {
      await page.getByRole('button', { name: '調べる' }).click();
      await page.getByRole('heading', { name: '次にすること' }).waitFor();
    }
    await bothLanguages(file);
  }

  // The platform operator (機構): approves card APs, verifies the audit chain, never loads.
  await page.getByRole('button', { name: 'ログアウト' }).click();
  await page.getByLabel('ログインID').fill('admin');
  await page.getByLabel('パスワード').fill(PLATFORM_PASSWORD);
  await page.getByRole('button', { name: 'ログインする' }).click();
  await page.getByRole('heading', { name: 'カードAP登録', level: 2 }).waitFor();
  assert.equal(await page.getByRole('link', { name: /窓口/ }).count(), 0);
  await page.getByRole('link', { name: '監査ログ' }).click();
  await page.getByRole('button', { name: 'ハッシュチェーンを検証する' }).click();
  await page.getByText('改ざんは見つかりませんでした').waitFor();
  await bothLanguages('14-audit-platform');

  assert.deepEqual(cspViolations, [], 'Content-Security-Policy violations');
  assert.deepEqual(pageErrors, [], 'errors in the page');
});

/** A console route as an API caller sends it (bearer token: no cookie, so no CSRF token). */
async function consoleCall(token: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${counter.url}/v1/console${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json: unknown = await res.json();
  assert.ok(res.ok, `${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json;
}

test(
  'WebAuthn: an administrator enrols an authenticator, the operator logs in with it',
  { skip },
  async () => {
    const { demo } = counter;
    // WebAuthn takes a host name, never an IP address: the console at localhost.
    const url = counter.url.replace('127.0.0.1', 'localhost');
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const p = await context.newPage();
    p.on('pageerror', (e) => pageErrors.push(e.message));
    // A platform authenticator with user verification (the seeds' biometric device).
    const cdp = await context.newCDPSession(p);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });

    // The platform operator issues an enrolment code for the demo administrator.
    const platform = (await login(counter.server.ctx, 'admin', PLATFORM_PASSWORD)).token;
    const demoId = (await authenticate(counter.server.ctx, demo.login.token)).operatorId;
    const { code } = (await consoleCall(platform, `/operators/${demoId}/authenticators/enrolment`, {
      purpose: 'enrol',
    })) as { code: string };

    await p.goto(url + '/console/');
    await p.getByLabel('ログインID').fill(demo.operator);
    await p.getByLabel('パスワード').fill(counter.password);
    await p.getByLabel(/登録コード/).fill(code);
    await p.getByRole('button', { name: 'ログインする' }).click();
    await p.getByRole('heading', { name: '窓口：カードAPの搭載・削除' }).waitFor();
    const listed = (await consoleCall(platform, `/operators/${demoId}/authenticators`)) as {
      id: string;
      revokedAt: string | null;
    }[];
    assert.equal(listed.length, 1);

    // The cookie is HttpOnly and SameSite=Strict: no script reads it.
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'myna_console');
    assert.ok(session?.httpOnly);
    assert.equal(session?.sameSite, 'Strict');
    assert.equal(await p.evaluate('document.cookie'), '');

    // Now the password alone is not enough: the authenticator answers, and the operator is in.
    await p.getByRole('button', { name: 'ログアウト' }).click();
    await p.getByLabel('ログインID').fill(demo.operator);
    await p.getByLabel('パスワード').fill(counter.password);
    await p.getByRole('button', { name: 'ログインする' }).click();
    await p.getByRole('heading', { name: '窓口：カードAPの搭載・削除' }).waitFor();
    await p.screenshot({ path: join(OUT, '15-webauthn-in.ja.png'), fullPage: true });

    // Revoked (a lost authenticator): the next login is refused until recovery.
    await consoleCall(platform, `/operators/${demoId}/authenticators/${listed[0]!.id}/revoke`, {});
    await consoleCall(platform, `/providers/${demo.providerId}/webauthn`, { required: true });
    await p.getByRole('button', { name: 'ログアウト' }).click();
    await p.getByLabel('ログインID').fill(demo.operator);
    await p.getByLabel('パスワード').fill(counter.password);
    await p.getByRole('button', { name: 'ログインする' }).click();
    await p.getByRole('alert').waitFor();
    assert.match(await p.getByRole('alert').innerText(), /登録コード/);
    await p.screenshot({ path: join(OUT, '16-webauthn-required.ja.png'), fullPage: true });
    await consoleCall(platform, `/providers/${demo.providerId}/webauthn`, { required: false });

    const audit = await new ApiClient(counter.url, platform).call('listAudit', {
      query: { limit: '1000' },
    });
    const actions = new Set(audit.map((r) => r.action));
    for (const a of [
      'webauthn.enrolment_issued',
      'webauthn.enrolled',
      'webauthn.revoked',
      'provider.require_webauthn',
    ]) {
      assert.ok(actions.has(a), `audit has ${a}`);
    }
    await context.close();
    assert.deepEqual(pageErrors, [], 'errors in the page');
  },
);
