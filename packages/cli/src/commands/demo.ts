/**
 * `myna demo` (what `npm start` runs): the card AP loading system on the
 * embedded database with a demo municipality, a demo operator (logged in for
 * you) and an emulated demo card in ./demo/card.json; then it prints the
 * commands that load a type C card AP onto that card and read it back, and a
 * one-time link into the operator console, whose counter reaches the demo
 * terminal's agent (demoTerminal.ts) with a second emulated card in its reader.
 */
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { mynaHome, saveCredentials } from '@myna-ap/loader/client';
import { CliError, type CliCommand } from '../command.ts';
import { t } from '../i18n.ts';
import { DEFAULT_HOLDER, describeCreated, makeCardFile } from './card.ts';
import { int, startLoader, str, untilSignal } from './serve.ts';
import { JpkiIssuer, defaultPkiDir } from '@myna-ap/pki';
import { crlCertificateCheck } from './jpkiCheck.ts';
import { startDemoTerminal, type DemoTerminal } from './demoTerminal.ts';

const demo: CliCommand = {
  path: ['demo'],
  summary: {
    en: 'run the loading system with a demo provider, operator and card, and show what to try',
    ja: 'デモ用のサービス提供者・オペレーター・カードでカードAP搭載システムを起動し、試し方を表示',
  },
  usage: '[--port N] [--host H]',
  options: { port: { type: 'string' }, host: { type: 'string' } },
  async run({ values }, io) {
    const port = int(values.port, 'port') ?? 8380;
    if (port > 65535)
      throw new CliError({ en: '--port must be 0..65535', ja: '--port は 0〜65535 です' }, 2);
    const dir = 'demo';
    const file = join(dir, 'card.json');
    try {
      await access(file);
      io.out(
        t({
          en: `${file} already exists; using it`,
          ja: `${file} は作成済みです。そのまま使います`,
        }),
      );
    } catch {
      await mkdir(dir, { recursive: true });
      const created = await makeCardFile({ out: file, holder: DEFAULT_HOLDER });
      for (const line of describeCreated(file, created, DEFAULT_HOLDER)) io.out(line);
    }

    const home = mynaHome();
    const { seedDemo, authenticate, oneTimeLogin } = await import('@myna-ap/loader');
    // diagnose checks the demo card's certificate against the issuer it came from (CRL method).
    const pkiDir = defaultPkiDir();
    const issuer = await JpkiIssuer.openOrInit(pkiDir);
    try {
      await issuer.crl('auth');
    } finally {
      await issuer.close();
    }
    const certificateCheck = await crlCertificateCheck(pkiDir);
    const server = await startLoader(port, {
      host: str(values.host) ?? '127.0.0.1',
      dataDir: join(home, 'db'),
      certificateCheck,
    });
    let counter: DemoTerminal | undefined;
    try {
      const info = await seedDemo(server.ctx, join(home, 'demo.json'));
      await saveCredentials({
        server: server.url,
        token: info.login.token,
        login: info.operator,
        expiresAt: info.login.expiresAt,
      });
      if (server.bootstrap) {
        io.out(
          t({
            en: `platform operator "admin" created, password "${server.bootstrap.password}" (shown once)`,
            ja: `機構オペレーター admin を作成しました。パスワード「${server.bootstrap.password}」（この表示は一度だけです）`,
          }),
        );
      }
      io.out('');
      io.out(
        t({
          en: `myna-ap card AP loading system (demo) at ${server.url} — PGlite in ${join(home, 'db')}`,
          ja: `myna-ap カードAP搭載システム（デモ）: ${server.url} — PGlite（${join(home, 'db')}）`,
        }),
      );
      io.out(
        t({
          en: `  provider ${info.providerId} (千代田区, made up), terminal ${info.terminalId}, operator ${info.operator} (logged in for you)`,
          ja: `  サービス提供者 ${info.providerId}（架空の千代田区）、端末 ${info.terminalId}、オペレーター ${info.operator}（ログイン済み）`,
        }),
      );
      io.out(
        t({
          en: `  card AP ${info.cardApId}: type C, extended area, AID ${info.aid} (the terminal loads it without choosing)`,
          ja: `  カードAP ${info.cardApId}: タイプC、拡張利用領域、AID ${info.aid}（端末の自動搭載に設定済み）`,
        }),
      );
      if (server.testAreaKeys) {
        io.out(
          t({
            en: '  area keys: the published TEST keys (emulated cards only; never for real cards)',
            ja: '  領域鍵: 公開されているテスト鍵です（エミュレータ用。実カードには使わないでください）',
          }),
        );
      }
      // The console by name, not by address: WebAuthn takes localhost, never an IP.
      const demoOperator = await authenticate(server.ctx, info.login.token);
      const ticket = await oneTimeLogin(server.ctx, demoOperator.operatorId);
      const consoleUrl = new URL('/console/', server.url.replace('127.0.0.1', 'localhost'));
      io.out('');
      io.out(
        t({
          en: `Operator console — open this link to log in as ${info.operator} (once, within 30 minutes):`,
          ja: `オペレーター画面 — 次のリンクを開くと ${info.operator} としてログインします（1回限り、30分以内）:`,
        }),
      );
      io.out(`  ${consoleUrl.href}#login=${ticket}`);
      // The demo terminal is a convenience: without it the console and the CLI
      // commands below still work, so a refusal is a warning, not a failed start.
      try {
        counter = await startDemoTerminal({
          server: server.url,
          terminalId: info.terminalId,
          token: info.login.token,
          identityDir: join(home, 'demo-terminal'),
          cardDir: dir,
        });
        io.out(
          t({
            en: `  terminal ${info.terminalId}'s agent is running; its reader holds the emulated card ${counter.cardFile}${counter.cardMade ? ' (made now)' : ''} — in 窓口, choose ${info.terminalId} and read the card`,
            ja: `  端末 ${info.terminalId} のエージェントが動いています。リーダには模擬カード ${counter.cardFile}${counter.cardMade ? '（今回作成）' : ''} が入っています — 窓口で ${info.terminalId} を選び、カードを読み取ってください`,
          }),
        );
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        io.err(
          t({
            en: `  warning: the demo terminal's agent did not start (${why}); the console works without it — run \`npx myna terminal enrol\` and \`npx myna terminal run\` for a counter terminal`,
            ja: `  警告: デモ端末のエージェントを起動できませんでした（${why}）。オペレーター画面はそのまま使えます — 窓口端末は \`npx myna terminal enrol\` と \`npx myna terminal run\` で起動してください`,
          }),
        );
      }
      io.out('');
      io.out(
        t({
          en: 'In another terminal, load the card AP onto the demo card and read it back:',
          ja: '別の端末で、デモカードにカードAPを搭載して読み出してください:',
        }),
      );
      io.out(`  npx myna load --card ${file}`);
      io.out(`  npx myna read --card ${file} --aid ${info.aid}`);
      io.out(`  npx myna diagnose --card ${file}`);
      io.out('');
      io.out(t({ en: 'Ctrl-C stops the server.', ja: 'Ctrl-C でサーバを停止します。' }));
      await untilSignal();
    } finally {
      await counter?.stop();
      await server.close();
    }
    return 0;
  },
};

export const demoCommands: readonly CliCommand[] = [demo];
