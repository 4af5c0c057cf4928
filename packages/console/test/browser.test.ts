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
/** 千代田区: the demo provider, where the test cards' holder is registered. */
const DEMO_MUNICIPALITY = '131016';
/** 高崎市: the municipality the platform registers in the test, where the holder moves. */
const TAKASAKI = '102024';
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

/**
 * A screenshot and an axe check of the screen in Japanese, then in English (with
 * `inEnglish`'s checks), back to Japanese.
 */
async function bothLanguages(name: string, inEnglish?: () => Promise<void>): Promise<void> {
  assert.equal(await page.getAttribute('html', 'lang'), 'ja');
  await page.screenshot({ path: join(OUT, `${name}.ja.png`), fullPage: true });
  await accessible(`${name} (ja)`);
  await page.getByRole('button', { name: /English|英語/ }).click();
  await page.waitForFunction("document.documentElement.lang === 'en'");
  await page.screenshot({ path: join(OUT, `${name}.en.png`), fullPage: true });
  await accessible(`${name} (en)`);
  await inEnglish?.();
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
  // The terminal's name already has a parenthesis: the id follows a dash, not another one.
  assert.equal(
    await page.getByLabel('使用する端末').locator('option').first().innerText(),
    'デモ窓口 (demo counter) — demo-counter',
  );
  await bothLanguages('03-counter-start', async () => {
    // The five step pills on one line at 1280 px, in English too.
    const tops = await page
      .locator('.steps li')
      .evaluateAll((li) => li.map((e) => (e as unknown as { offsetTop: number }).offsetTop));
    assert.equal(new Set(tops).size, 1, `step pills on ${new Set(tops).size} lines`);
  });

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
  assert.match(results, /タクシー運賃助成 \(taxi fare subsidy\)（地域住民向け領域）：搭載しました/);
  await bothLanguages('06-counter-result', async () => {
    // English punctuation in English: "name (area): loaded", no full-width （）：、.
    const en = await page.locator('.results').innerText();
    assert.match(en, /\(local residents area\): loaded/);
    assert.doesNotMatch(en, /[（）：、]/);
  });

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
  // A terminal agent waits for approval; the card's status changed twice (the feed).
  const agent = await counter.enrolAgent(demo.terminalId);
  const platformApi = new ApiClient(
    url,
    (await login(counter.server.ctx, 'admin', PLATFORM_PASSWORD)).token,
  );
  // Reported lost-and-suspended by the call center, found: active again by the platform.
  for (const [status, source] of [
    ['suspended', 'call_center'],
    ['active', 'operator'],
  ] as const) {
    await platformApi.call('setCardStatus', { params: { cardId }, body: { status, source } });
  }
  const screens: [string, string, string][] = [
    ['cardAps', 'カードAP登録', '09-card-aps'],
    ['operators', 'オペレーター', '10-operators'],
    ['terminals', '搭載端末', '11-terminals'],
    ['audit', '監査ログ', '12-audit'],
    ['diagnose', '障害切り分け', '13-diagnose'],
    ['stats', '日別の搭載・拒否件数', '17-stats'],
    ['hours', 'サービス提供時間', '18-hours'],
    ['feed', '失効情報・お知らせ', '19-feed'],
    ['work', '転入・暗証番号の再設定', '20-card-work'],
    ['providers', 'サービス提供者', '21-providers'],
    ['batches', '一括搭載', '24-batches'],
  ];
  const linkOf: Record<string, string> = { stats: '日別の件数', work: '転入・暗証番号' };
  for (const [hash, heading, file] of screens) {
    await page.getByRole('link', { name: new RegExp(linkOf[hash] ?? heading) }).click();
    assert.equal(new URL(page.url()).hash, `#/${hash}`);
    await page.getByRole('heading', { name: heading, level: 2 }).waitFor();
    if (hash === 'cardAps') {
      await page.getByRole('cell', { name: counter.demo.aid }).waitFor();
    }
    if (hash === 'operators') {
      // Add an operator through the shared form, then issue an enrolment code for it.
      await page.getByLabel('ログインID').fill('counter-b');
      await page.getByLabel('氏名').fill('窓口 次郎');
      await page.getByLabel('初期パスワード').fill('a long initial password for counter-b');
      await page.getByRole('button', { name: '追加する' }).click();
      await page.getByRole('status').filter({ hasText: 'オペレーターを追加しました' }).waitFor();
      await page.getByRole('button', { name: 'counter-b の生体認証機器' }).click();
      await page.getByRole('heading', { name: 'counter-b の生体認証機器' }).waitFor();
      await page.getByRole('button', { name: '登録コードを発行する', exact: true }).click();
      const box = await page.locator('.code-box').innerText();
      assert.match(box, /[A-Z0-9]{4}-[A-Z0-9]{4}/);
      assert.match(box, /有効期限/);
      await page.getByRole('status').filter({ hasText: '生体認証は必須ではありません' }).waitFor();
    }
    if (hash === 'terminals') {
      // The waiting enrolment with its code; approved by typing the code the agent printed.
      await page.getByRole('status').filter({ hasText: '承認待ち 1 件' }).waitFor();
      await page.getByRole('cell', { name: agent.agentId }).waitFor();
      // The code is typed from the counter PC's screen, never shown here.
      assert.doesNotMatch(await page.locator('main').innerText(), new RegExp(agent.code));
      await page.getByLabel('承認コード').fill(agent.code.toLowerCase());
      await page.getByRole('button', { name: '承認する' }).click();
      await page.getByRole('status').filter({ hasText: '承認しました' }).waitFor();
      await page.getByRole('status').filter({ hasText: '承認待ち 0 件' }).waitFor();
      const audit = await api.call('listAudit', { query: { limit: '1000' } });
      assert.ok(
        audit.some((r) => r.action === 'terminal.agent_approved' && r.target === agent.agentId),
      );
    }
    if (hash === 'stats') {
      // Today's row: the two loads of this test and the full area's refusal.
      await page.locator('svg.chart').waitFor();
      assert.equal(await page.locator('svg.chart rect.bar-loads').count(), 14);
      const today = (await page.locator('tbody tr').first().innerText()).split(/\s+/);
      assert.ok(Number(today[1]) >= 2 && Number(today[2]) >= 1, today.join(' '));
    }
    if (hash === 'hours') {
      assert.match(
        await page.locator('.facts').innerText(),
        /[0-9]{1,2}:[0-9]{2}〜[0-9]{1,2}:[0-9]{2}/,
      );
      await page
        .getByRole('status')
        .filter({ hasText: /受付時間|休止日/ })
        .waitFor();
    }
    if (hash === 'batches') {
      // A batch of the library card: one card takes it, a card with a full area refuses it.
      await page.getByRole('checkbox', { name: 'デモ図書館カード' }).check();
      await page.getByRole('button', { name: 'バッチを開く' }).click();
      await page.getByRole('heading', { name: /^バッチ bt_|^バッチ / }).waitFor();
      counter.insert(await counter.newCard());
      await page.getByRole('button', { name: 'このカードに搭載する' }).click();
      await page.getByText('カード 1 枚：搭載 1、失敗 0、未完了 0').waitFor();
      counter.insert(await counter.newCard({ extended: 40 }));
      await page.getByRole('button', { name: 'このカードに搭載する' }).click();
      await page.getByText('カード 2 枚：搭載 1、失敗 1、未完了 0').waitFor();
      assert.match(
        await page.locator('.results').innerText(),
        /できませんでした.*空き領域が足りません/s,
      );
      await page.getByRole('button', { name: 'バッチを閉じる（完了）' }).click();
      // The status line says what was done, and the batch heads the past batches.
      const line = '完了：デモ図書館カード (demo library card) — 2枚中 1枚に搭載、1枚は搭載できず';
      await page.locator('.batch-line').filter({ hasText: line }).waitFor();
      await page
        .getByRole('region', { name: 'これまでの一括搭載' })
        .getByRole('cell', { name: line })
        .waitFor();
      counter.insert(cardC);
    }
    if (hash === 'providers') {
      await page.getByRole('cell', { name: demo.providerId }).waitFor();
      assert.match(await page.locator('tbody').innerText(), /条例：デモ用の架空の条例/);
      assert.equal(await page.locator('tbody tr').count(), 1);
    }
    if (hash === 'work') {
      // The taxi card AP's system-fixed PIN, reset; then the holder moves to 前橋市:
      // the local-area taxi card AP leaves the card.
      const pinForm = page.locator('form').filter({ hasText: 'カードAPの暗証番号を再設定する' });
      await pinForm.getByRole('checkbox', { name: 'ご本人の希望であることを確認しました' }).check();
      await pinForm.getByRole('button', { name: '暗証番号を再設定する', exact: true }).click();
      await pinForm
        .getByRole('status')
        .filter({ hasText: '暗証番号を再設定しました' })
        .or(pinForm.getByRole('alert'))
        .waitFor();
      assert.equal(await pinForm.getByRole('alert').count(), 0, await pinForm.innerText());
      assert.match(await pinForm.getByRole('status').innerText(), /タクシー運賃助成.*残り 5 回/);
      // A move-in is the new municipality's to record: 千代田区 cannot record one into
      // 前橋市, nor one into 千代田区 of a card registered there already. Both say what to do.
      const moveForm = page.locator('form').filter({ hasText: '転入（住民登録地の変更）' });
      const code = page.getByLabel('転入先の市区町村コード（6桁）');
      await code.fill('102016');
      await page.getByRole('button', { name: '転入の手続きをする' }).click();
      await moveForm.getByRole('alert').waitFor();
      assert.match(
        await moveForm.getByRole('alert').innerText(),
        /転入先の市区町村の窓口で行います/,
      );
      await code.fill(DEMO_MUNICIPALITY);
      await page.getByRole('button', { name: '転入の手続きをする' }).click();
      await moveForm.getByRole('alert').filter({ hasText: '転入の手続きは不要です' }).waitFor();
      const states = await api.call('listInstances', { params: { cardId } });
      assert.ok(
        states.some((i) => i.state === 'loaded'),
        'nothing left the card',
      );
    }
    if (hash === 'feed') {
      const events = page.getByRole('region', { name: 'カードの状態の変更' });
      await events.getByRole('cell', { name: cardId }).first().waitFor();
      assert.match(await events.innerText(), /一時停止 → 有効/);
      assert.match(await events.innerText(), /有効 → 一時停止/);
      assert.match(await events.innerText(), /コールセンター/);
      await page
        .getByRole('region', { name: 'お知らせ' })
        .getByText('カードの状態の変更')
        .first()
        .waitFor();
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
      // The certificate's status in words, not the report's code.
      assert.match(
        await page.locator('.facts').innerText(),
        /有効期間内（失効の確認は未設定）（有効期限 20[0-9]{2}-[0-9]{2}-[0-9]{2}）/,
      );
    }
    await bothLanguages(
      file,
      hash === 'batches'
        ? () =>
            page
              .locator('.batch-line')
              .filter({
                hasText: 'Finished: デモ図書館カード (demo library card) — 1 of 2 loaded, 1 failed',
              })
              .waitFor()
        : undefined,
    );
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

  // The platform sees the providers with their legal basis, and may suspend one.
  await page.getByRole('link', { name: 'サービス提供者' }).click();
  await page.getByRole('cell', { name: demo.providerId }).waitFor();
  // The row may render before the operator's role is known: wait for its button.
  await page.getByRole('button', { name: '一時停止する' }).waitFor();
  assert.equal(await page.getByRole('button', { name: '一時停止する' }).count(), 1);
  await bothLanguages('22-providers-platform');
  // Service hours: the platform's form refuses a close before the open, in plain words.
  await page.getByRole('link', { name: 'サービス提供時間' }).click();
  await page.getByLabel('開始（H:MM）').fill('22:00');
  await page.getByLabel('終了（H:MM）').fill('8:00');
  await page.getByRole('button', { name: '変更する' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').innerText(), /開始を終了より前に/);
  await bothLanguages('23-hours-platform');

  // The platform registers a new municipality (高崎市), its terminal and its first
  // administrator, all from the console.
  await page.getByRole('link', { name: 'サービス提供者' }).click();
  const reg = page.locator('form').filter({ hasText: 'サービス提供者を登録する' });
  await reg.getByLabel('提供者ID').fill('takasaki');
  await reg.getByLabel('名称').fill('高崎市');
  await reg.getByLabel('市区町村コード（6桁）').fill(TAKASAKI);
  await reg.getByLabel('法的根拠（条例名・告示番号など）').fill('高崎市カードAP条例（試験）');
  await reg.getByLabel('制定・確認の日').fill('2021-04-01');
  await reg.getByLabel('担当者名').fill('高崎 窓口');
  await reg.getByRole('button', { name: '登録する' }).click();
  await reg.getByRole('status').filter({ hasText: '「高崎市」を登録しました' }).waitFor();
  await page.getByRole('cell', { name: /TAKASAKI/ }).waitFor();
  await bothLanguages('25-provider-registered');
  // The same id again: refused in plain words, nothing lost.
  await reg.getByLabel('提供者ID').fill('TAKASAKI');
  await reg.getByLabel('名称').fill('高崎市（二重）');
  await reg.getByLabel('市区町村コード（6桁）').fill(TAKASAKI);
  await reg.getByLabel('法的根拠（条例名・告示番号など）').fill('同じ条例');
  await reg.getByLabel('制定・確認の日').fill('2021-04-01');
  await reg.getByLabel('担当者名').fill('二重');
  await reg.getByRole('button', { name: '登録する' }).click();
  await reg.getByRole('alert').filter({ hasText: '登録済み' }).waitFor();
  assert.equal(await page.getByRole('cell', { name: /高崎市（二重）/ }).count(), 0);

  await page.getByRole('link', { name: '搭載端末' }).click();
  const termForm = page.locator('form').filter({ hasText: '端末を登録する' });
  await termForm.getByLabel('サービス提供者').selectOption('TAKASAKI');
  await termForm.getByLabel('端末ID').fill('takasaki-counter');
  await termForm.getByLabel('名称').fill('高崎市 市民課窓口');
  await termForm.getByRole('button', { name: '登録する' }).click();
  await termForm.getByRole('status').filter({ hasText: '端末を登録しました' }).waitFor();

  await page.getByRole('link', { name: 'オペレーター' }).click();
  const opForm = page.locator('form').filter({ hasText: 'オペレーターを追加する' });
  await opForm.getByLabel('サービス提供者').selectOption('TAKASAKI');
  await opForm.getByText('使用する端末：takasaki-counter').waitFor();
  await opForm.getByLabel('ログインID').fill('takasaki-admin');
  await opForm.getByLabel('氏名').fill('高崎 太郎');
  assert.equal(await opForm.getByLabel('役割').inputValue(), 'administrator');
  const takasakiPassword = 'a long initial password for takasaki';
  await opForm.getByLabel('初期パスワード').fill(takasakiPassword);
  await opForm.getByRole('button', { name: '追加する' }).click();
  await opForm.getByRole('status').filter({ hasText: 'オペレーターを追加しました' }).waitFor();
  await page.getByRole('cell', { name: 'takasaki-admin', exact: true }).waitFor();
  await bothLanguages('26-operator-platform');

  // A successful move-in (転入): the holder of cardC moves from 千代田区 to 高崎市, and
  // 高崎市's administrator records it at its counter. 千代田区's local-area taxi card
  // AP leaves the card.
  await counter.relayAt('takasaki-counter', 'takasaki-admin', takasakiPassword);
  await page.getByRole('button', { name: 'ログアウト' }).click();
  await page.getByLabel('ログインID').fill('takasaki-admin');
  await page.getByLabel('パスワード').fill(takasakiPassword);
  await page.getByRole('button', { name: 'ログインする' }).click();
  await page.getByRole('link', { name: /転入・暗証番号/ }).click();
  await page.getByRole('heading', { name: '転入・暗証番号の再設定', level: 2 }).waitFor();
  counter.insert(cardC);
  const moveForm = page.locator('form').filter({ hasText: '転入（住民登録地の変更）' });
  await moveForm.getByLabel('転入先の市区町村コード（6桁）').fill(TAKASAKI);
  await moveForm.getByRole('button', { name: '転入の手続きをする' }).click();
  await moveForm
    .getByRole('status')
    .filter({ hasText: `住民登録地を変更しました（${DEMO_MUNICIPALITY} → ${TAKASAKI}）` })
    .or(moveForm.getByRole('alert'))
    .waitFor();
  assert.equal(await moveForm.getByRole('alert').count(), 0, await moveForm.innerText());
  const moved = await moveForm.getByRole('status').innerText();
  assert.match(
    moved,
    new RegExp(`カードから削除したカードAP：${demo.providerId} のカードAP（AID [0-9A-F]+）`),
  );
  assert.match(moved, /残ったカードAP：ありません/);
  const taxi = (await api.call('listInstances', { params: { cardId } })).filter(
    (i) => i.cardApId === counter.typeD,
  );
  assert.ok(taxi.length > 0 && taxi.every((i) => i.state === 'deleted'), JSON.stringify(taxi));
  await bothLanguages('27-move-in-done');

  assert.deepEqual(cspViolations, [], 'Content-Security-Policy violations');
  assert.deepEqual(pageErrors, [], 'errors in the page');
});

test(
  'provider isolation: an operator of one provider never sees or touches another provider’s',
  { skip },
  async () => {
    const { url, demo } = counter;
    const platform = new ApiClient(
      url,
      (await login(counter.server.ctx, 'admin', PLATFORM_PASSWORD)).token,
    );
    // Provider Y (another municipality) with its administrator, card AP, terminal and agent.
    const y = await platform.call('createProvider', {
      body: {
        id: 'ISO-MAEBASHI',
        name: '前橋市（分離の試験）',
        kind: 'municipality',
        municipalityCode: '102016',
        legalBasis: { kind: 'ordinance', reference: '試験用の条例', date: '2020-04-01' },
        contact: { name: 'isolation test' },
      },
    });
    await platform.call('createTerminal', {
      body: { id: 'y-counter', providerId: y.id, name: '前橋 窓口 Y' },
    });
    const yPassword = 'a long password of the Y administrator';
    await platform.call('createOperator', {
      body: {
        login: 'y-admin',
        displayName: 'Y 管理者',
        role: 'administrator',
        providerId: y.id,
        password: yPassword,
        terminals: ['y-counter'],
      },
    });
    const yAdmin = new ApiClient(
      url,
      (await login(counter.server.ctx, 'y-admin', yPassword)).token,
    );
    const yAp = await yAdmin.call('requestCardAp', {
      body: {
        providerId: y.id,
        name: 'Y市 秘密のカードAP',
        type: 'C',
        areas: ['extended'],
        size: 33,
      },
    });
    await platform.call('approveCardAp', { params: { id: yAp.id }, body: {} });
    const yAgent = await counter.enrolAgent('y-counter');
    const yOperator = (await yAdmin.call('listOperators', {})).find((o) => o.login === 'y-admin')!;

    // X (the demo administrator) in the browser: every screen shows X's only.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const p = await context.newPage();
    p.on('pageerror', (e) => pageErrors.push(e.message));
    await p.goto(url + '/console/');
    await p.getByLabel('ログインID').fill(demo.operator);
    await p.getByLabel('パスワード').fill(counter.password);
    await p.getByRole('button', { name: 'ログインする' }).click();
    await p.getByRole('heading', { name: '窓口：カードAPの搭載・削除' }).waitFor();
    const screen = async (link: string, heading: string, ready: string): Promise<string> => {
      await p.getByRole('link', { name: link, exact: true }).click();
      await p.getByRole('heading', { name: heading, level: 2 }).waitFor();
      await p.getByText(ready).first().waitFor();
      return p.locator('main').innerText();
    };
    const aps = await screen('カードAP登録', 'カードAP登録', 'デモ図書館カード');
    assert.doesNotMatch(aps, /Y市|ISO-MAEBASHI/);
    const terms = await screen('搭載端末', '搭載端末', 'demo-counter');
    assert.doesNotMatch(terms, /y-counter|前橋|ISO-MAEBASHI/);
    assert.doesNotMatch(terms, new RegExp(yAgent.code));
    const ops = await screen('オペレーター', 'オペレーター', demo.operator);
    assert.doesNotMatch(ops, /y-admin/);
    const audit = await screen('監査ログ', '監査ログ', '件（直近');
    const all = await p.locator('tbody').innerText();
    assert.doesNotMatch(audit + all, /y-counter|ISO-MAEBASHI|y-admin/);
    assert.doesNotMatch(all, new RegExp(`${yAp.id}|${yAgent.agentId}`));

    // Direct calls with X's cookie (and its CSRF token): Y's things do not exist for X.
    const { csrfToken } = (await (await p.request.get(url + '/v1/console/session')).json()) as {
      csrfToken: string;
    };
    const headers = { 'x-csrf-token': csrfToken };
    const refused = async (method: 'GET' | 'POST', path: string, data?: unknown) => {
      const r =
        method === 'GET'
          ? await p.request.get(url + path)
          : await p.request.post(url + path, { headers, data: data ?? {} });
      assert.ok([403, 404].includes(r.status()), `${method} ${path}: HTTP ${r.status()}`);
    };
    await refused('GET', `/v1/card-aps/${yAp.id}`);
    await refused('POST', `/v1/card-aps/${yAp.id}/status`, { status: 'suspended' });
    await refused('GET', `/v1/card-aps/${yAp.id}/keys`);
    await refused('POST', '/terminal/approve', { code: yAgent.code });
    await refused('POST', `/terminal/agents/${yAgent.agentId}/revoke`);
    await refused('GET', `/v1/console/operators/${yOperator.id}/authenticators`);
    await refused('POST', `/v1/console/operators/${yOperator.id}/authenticators/enrolment`, {
      purpose: 'enrol',
    });
    await refused('GET', `/v1/console/providers/${y.id}/webauthn`);
    await refused('POST', `/v1/console/providers/${y.id}/webauthn`, { required: true });
    await refused('POST', '/v1/jobs', { op: 'diagnose', terminalId: 'y-counter' });
    // Lists answer, without Y's rows.
    const list = async (path: string) =>
      JSON.stringify(await (await p.request.get(url + path)).json());
    assert.doesNotMatch(await list('/v1/card-aps'), new RegExp(yAp.id));
    assert.doesNotMatch(await list('/v1/terminals'), /y-counter/);
    assert.doesNotMatch(await list('/v1/console/terminal-agents'), /y-counter/);
    assert.doesNotMatch(await list('/v1/audit?limit=1000'), /ISO-MAEBASHI|y-counter/);
    // A state change without the CSRF token is refused even for X's own card AP.
    const noCsrf = await p.request.post(url + `/v1/card-aps/${demo.cardApId}/status`, {
      data: { status: 'suspended' },
    });
    assert.equal(noCsrf.status(), 403);
    assert.equal(((await noCsrf.json()) as { code: string }).code, 'CSRF_REFUSED');

    // And Y is untouched: its agent still waits, its card AP is still approved.
    const yAgents = (await (
      await fetch(`${url}/v1/console/terminal-agents`, {
        headers: {
          authorization: `Bearer ${(await login(counter.server.ctx, 'y-admin', yPassword)).token}`,
        },
      })
    ).json()) as { id: string; state: string }[];
    assert.equal(yAgents.find((a) => a.id === yAgent.agentId)?.state, 'pending');
    assert.equal((await yAdmin.call('getCardAp', { params: { id: yAp.id } })).status, 'approved');
    await context.close();
  },
);

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
