/**
 * `myna serve`: the loading system's server (embedded PGlite under
 * $MYNA_HOME/db by default; DATABASE_URL=postgres://… for a PostgreSQL server).
 * Also the shared plumbing of the commands that talk to it (--server, tokens).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient, ApiError, mynaHome, resolveTarget } from '@myna-ap/loader/client';
import type { z } from 'zod';
import { CliError, type CliCommand } from '../command.ts';
import { t } from '../i18n.ts';

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function strs(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function int(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (!/^[0-9]{1,9}$/.test(s)) {
    throw new CliError(
      { en: `--${name} must be a whole number`, ja: `--${name} は整数で指定してください` },
      2,
    );
  }
  return Number(s);
}

export function need(v: unknown, name: string): string {
  const s = str(v);
  if (s === undefined || s === '') {
    throw new CliError({ en: `--${name} is required`, ja: `--${name} を指定してください` }, 2);
  }
  return s;
}

/**
 * `value` (built from the command line or a file) read with the API contract's
 * schema `schema`: the typed request body, or a CliError saying what is wrong, in
 * the words the server would use (`invalid body.type: …`).
 */
export function valid<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  const path = [where, ...(i?.path ?? []).map(String)].join('.');
  throw new CliError({
    en: `invalid ${path}: ${i?.message ?? 'invalid'} [VALIDATION]`,
    ja: `入力が正しくありません（${path}） [VALIDATION]`,
  });
}

/** Options every API command takes. */
export const SERVER_OPTIONS = {
  server: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** Runs an API call and turns its refusal into a CLI error (code + message in the user's language). */
export async function api<T>(
  values: Readonly<Record<string, unknown>>,
  fn: (c: ApiClient) => Promise<T>,
  auth = true,
): Promise<T> {
  const target = await resolveTarget(str(values.server));
  if (auth && !target.token) {
    throw new CliError({
      en: `not logged in to ${target.server}: run \`myna login --user NAME\` or set MYNA_TOKEN`,
      ja: `${target.server} にログインしていません。\`myna login --user 名前\` を実行するか MYNA_TOKEN を設定してください`,
    });
  }
  try {
    return await fn(new ApiClient(target.server, auth ? target.token : undefined));
  } catch (e) {
    if (e instanceof ApiError) {
      throw new CliError({ en: `${e.text.en} [${e.code}]`, ja: `${e.text.ja} [${e.code}]` });
    }
    throw e;
  }
}

/** The terminal: --terminal, MYNA_TERMINAL, or the only one the operator is bound to. */
export async function terminalOf(
  values: Readonly<Record<string, unknown>>,
  c: ApiClient,
): Promise<string> {
  const given = str(values.terminal) ?? process.env.MYNA_TERMINAL;
  if (given) return given;
  const list = (await c.call('me')).terminals;
  if (list.length === 1) return list[0]!;
  throw new CliError(
    {
      en: `say at which terminal you are: --terminal ID (yours: ${list.join(', ') || 'none'})`,
      ja: `操作する端末を --terminal で指定してください（割当て: ${list.join('、') || 'なし'}）`,
    },
    2,
  );
}

/** Prints `rows` as aligned columns (or JSON with --json). */
export function table(
  out: (l: string) => void,
  rows: readonly Record<string, unknown>[],
  cols: readonly string[],
): void {
  const cell = (v: unknown) =>
    v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') : String(v);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  out(
    cols
      .map((c, i) => c.padEnd(width[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  for (const r of rows)
    out(
      cols
        .map((c, i) => cell(r[c]).padEnd(width[i] ?? 0))
        .join('  ')
        .trimEnd(),
    );
}

/** The operator console's built files: @myna-ap/console's dist/ (or $MYNA_CONSOLE_DIR). */
export function consoleDir(): string {
  const env = process.env.MYNA_CONSOLE_DIR;
  if (env) return env;
  return join(dirname(fileURLToPath(import.meta.resolve('@myna-ap/console/package.json'))), 'dist');
}

/**
 * Starts the loader server (loaded only for the commands that serve) with the
 * CLI's logging and the operator console mounted under /console/, turning its
 * refusals and a taken port into CliErrors.
 */
export async function startLoader(
  port: number,
  o: Omit<import('@myna-ap/loader').ServeOptions, 'port' | 'logger'>,
): Promise<import('@myna-ap/loader').RunningServer> {
  const { startServer, LoaderError, consoleMounts, terminalChannelMount } =
    await import('@myna-ap/loader');
  // The terminal agents' channel (myna terminal run): the console hands card jobs to it.
  let channels: import('@myna-ap/loader').TerminalChannels | undefined;
  const terminal = terminalChannelMount((c) => (channels = c));
  try {
    return await startServer({
      ...o,
      mounts: [
        ...consoleMounts(consoleDir(), { terminalRelay: () => channels }),
        ...(o.mounts ?? []),
        terminal,
      ],
      port,
      logger: {
        level: process.env.MYNA_LOG_LEVEL ?? 'warn',
        redact: ['req.headers.authorization'],
      },
    });
  } catch (e) {
    if (e instanceof LoaderError)
      throw new CliError({ en: `${e.text.en} [${e.code}]`, ja: `${e.text.ja} [${e.code}]` });
    if ((e as { code?: string }).code === 'EADDRINUSE') {
      throw new CliError({
        en: `port ${port} is in use: is a server already running? (or try --port)`,
        ja: `ポート ${port} は使用中です。既にサーバが起動していませんか（--port で変更できます）`,
      });
    }
    throw e;
  }
}

/** Resolves on Ctrl-C or SIGTERM (the servers run until then). */
export function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** The TLS pair of --tls-cert/--tls-key: both or neither, readable, PEM. */
async function readTls(
  certFile: string | undefined,
  keyFile: string | undefined,
): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile)
    throw new CliError(
      {
        en: 'HTTPS needs both --tls-cert (the certificate chain, PEM) and --tls-key (its private key, PEM)',
        ja: 'HTTPS には --tls-cert（証明書チェーン、PEM）と --tls-key（秘密鍵、PEM）の両方が必要です',
      },
      2,
    );
  const { readFile } = await import('node:fs/promises');
  const { X509Certificate, createPrivateKey } = await import('node:crypto');
  const read = async (file: string, what: { en: string; ja: string }) => {
    try {
      return await readFile(file);
    } catch {
      throw new CliError(
        { en: `cannot read ${what.en} ${file}`, ja: `${what.ja} ${file} を読めません` },
        2,
      );
    }
  };
  const cert = await read(certFile, { en: 'the TLS certificate', ja: 'TLS 証明書' });
  const key = await read(keyFile, { en: 'the TLS key', ja: 'TLS 秘密鍵' });
  let leaf: import('node:crypto').X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch {
    throw new CliError(
      {
        en: `${certFile} is not a PEM certificate`,
        ja: `${certFile} は PEM 形式の証明書ではありません`,
      },
      2,
    );
  }
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(key))) throw new Error('mismatch');
  } catch {
    throw new CliError(
      {
        en: `${keyFile} is not the private key of ${certFile} (PEM, unencrypted)`,
        ja: `${keyFile} は ${certFile} の秘密鍵（暗号化されていない PEM）ではありません`,
      },
      2,
    );
  }
  if (new Date(leaf.validTo).getTime() < Date.now())
    throw new CliError(
      {
        en: `${certFile} expired on ${leaf.validTo}`,
        ja: `${certFile} は ${leaf.validTo} に有効期限が切れています`,
      },
      2,
    );
  return { cert, key };
}

const serve: CliCommand = {
  path: ['serve'],
  summary: {
    en: 'run the card AP loading server (embedded DB, or DATABASE_URL)',
    ja: 'カードAP搭載システムのサーバを起動（組込みDB、または DATABASE_URL）',
  },
  usage:
    '[--port N] [--host H] [--tls-cert PEM --tls-key PEM] [--trust-proxy ADDRS] [--data-dir DIR] [--keys FILE] [--jpki ISSUER_DIR [--jpki-poll SECONDS]] [--idp [--idp-keys FILE] [--base-url URL] [--pki-url URL] [--bridge-url URL]]',
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'trust-proxy': { type: 'string' },
    'data-dir': { type: 'string' },
    keys: { type: 'string' },
    jpki: { type: 'string' },
    // Seconds between reads of the issuer's revocations (a loss marks the card lost).
    'jpki-poll': { type: 'string' },
    // The identity platform mounted at /idp (commands/idp.ts), on this server's database.
    idp: { type: 'boolean' },
    'idp-keys': { type: 'string' },
    'base-url': { type: 'string' },
    'pki-url': { type: 'string' },
    'bridge-url': { type: 'string' },
  },
  async run({ values }, io) {
    let port = int(values.port, 'port') ?? 8380;
    if (port > 65535)
      throw new CliError({ en: '--port must be 0..65535', ja: '--port は 0〜65535 です' }, 2);
    const databaseUrl = process.env.DATABASE_URL;
    const dataDir = str(values['data-dir']) ?? join(mynaHome(), 'db');
    // The server half (database, Fastify) loads only for this command.
    const jpki = str(values.jpki);
    const jpkiCheck = jpki ? await import('./jpkiCheck.ts') : undefined;
    const certificateCheck = jpki ? await jpkiCheck?.crlCertificateCheck(jpki) : undefined;
    const poll = int(values['jpki-poll'], 'jpki-poll') ?? jpkiCheck?.JPKI_POLL_SECONDS ?? 0;
    if (values['jpki-poll'] !== undefined && (!jpki || poll < 1))
      throw new CliError(
        {
          en: '--jpki-poll is whole seconds, 1 or more, with --jpki',
          ja: '--jpki-poll は --jpki と共に1以上の秒数で指定します',
        },
        2,
      );
    const jpkiRevocations =
      jpki && jpkiCheck ? jpkiCheck.jpkiRevocations(jpki, poll, io.err) : undefined;
    const keysFile = str(values.keys) ?? process.env.MYNA_KEYS_FILE;
    const tls = await readTls(str(values['tls-cert']), str(values['tls-key']));
    const trustProxy = str(values['trust-proxy']);
    const idp = values.idp ? await import('./idp.ts') : undefined;
    if (idp && port === 0) port = await idp.freePort(str(values.host) ?? '127.0.0.1');
    const platform = idp && (await idp.mountFor(values, port, io));
    const server = await startLoader(port, {
      ...(platform ? { mounts: [platform.mount] } : {}),
      host: str(values.host) ?? '127.0.0.1',
      dataDir,
      databaseUrl,
      adminPassword: process.env.MYNA_ADMIN_PASSWORD,
      ...(keysFile ? { keysFile } : {}),
      ...(tls ? { tls } : {}),
      ...(trustProxy ? { trustProxy } : {}),
      certificateCheck,
      jpkiRevocations,
    }).catch(async (e: unknown) => {
      await platform?.close();
      throw e;
    });
    io.out(
      t({
        en: `myna loader listening on ${server.url}`,
        ja: `myna カードAP搭載システム: ${server.url}`,
      }),
    );
    io.out(
      t({
        en: `database: ${databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${dataDir}`}`,
        ja: `データベース: ${databaseUrl ? 'PostgreSQL（DATABASE_URL）' : `PGlite（${dataDir}）`}`,
      }),
    );
    if (server.testAreaKeys) {
      io.out(
        t({
          en: 'area keys: the published TEST keys, for emulated cards only — put real master keys in the key file before a real card is loaded',
          ja: '領域鍵: 公開されているテスト鍵です（エミュレータ専用）。実カードを扱う前に鍵ファイルへ本番のマスター鍵を設定してください',
        }),
      );
    }
    if (server.bootstrap) {
      io.out(
        t({
          en: `first platform operator created: login "${server.bootstrap.login}", password "${server.bootstrap.password}" (shown once; log in with \`myna login --user admin\`)`,
          ja: `最初の機構オペレーターを作成しました: ログイン名「${server.bootstrap.login}」パスワード「${server.bootstrap.password}」（この表示は一度だけです。\`myna login --user admin\` でログイン）`,
        }),
      );
    }
    await untilSignal();
    await server.close();
    await platform?.close();
    return 0;
  },
};

export const serveCommands: readonly CliCommand[] = [serve];
