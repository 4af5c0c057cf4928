/**
 * `myna idp …`: the identity platform (packages/idp) — `idp serve` runs it as a
 * server of its own; `myna serve --idp` mounts the same platform on the loader's
 * server (platformFor below); `idp client add` registers a relying party or a
 * machine client. The trust is a JPKI issuer directory: the given one, or the
 * test JPKI issuer under $MYNA_HOME/pki (said at start), whose OCSP responder and
 * CRLs run in this process unless --pki-url names a running `myna pki serve`.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { mynaHome } from '@myna-ap/loader/client';
import { CliError, type CliCommand, type CliIo } from '../command.ts';
import { t } from '../i18n.ts';
import { int, need, str, strs, untilSignal } from './serve.ts';

/** The default port of `myna idp serve` (the loader's is 8380). */
export const IDP_PORT = 8390;
/** Where `myna serve --idp` mounts the platform. */
export const IDP_MOUNT = '/idp';

/** $MYNA_HOME/idp: the platform's own database and its key file. */
export const idpHome = () => join(mynaHome(), 'idp');
export const defaultIdpKeys = () => join(idpHome(), 'keys.json');
export const defaultIdpDataDir = () => join(idpHome(), 'db');

/** What the command line says about the platform's trust and keys. */
export interface PlatformArgs {
  readonly jpki?: string | undefined;
  readonly pkiUrl?: string | undefined;
  readonly keysFile?: string | undefined;
  readonly baseUrl: string;
  /** The holder's bridge the sign-in page talks to. */
  readonly bridgeUrl?: string | undefined;
}

/** Re-fetch the CRLs this often (the JPKI publishes them at least daily). */
const CRL_REFRESH_MS = 10 * 60 * 1000;

/**
 * The platform's parts from the command line: trust, CRLs (fetched now, then
 * every 10 minutes), the validator, the PPID keys. `close` stops what it started.
 */
export async function platformFor(a: PlatformArgs, io: CliIo) {
  const { JpkiIssuer, PkiError, defaultPkiDir, startPkiServer } = await import('@myna-ap/pki');
  const idp = await import('@myna-ap/idp');
  const dir = a.jpki ?? defaultPkiDir();
  let issuer;
  try {
    // The test issuer is made on first use (as `myna card create` does); a named one must exist.
    issuer = a.jpki ? await JpkiIssuer.open(dir) : await JpkiIssuer.openOrInit(dir);
  } catch (e) {
    if (e instanceof PkiError) {
      throw new CliError({
        en: `JPKI issuer in ${dir}: ${e.message} [${e.code}]`,
        ja: `JPKI 発行者（${dir}）: ${e.message} [${e.code}]`,
      });
    }
    throw e;
  }
  const stops: (() => Promise<void>)[] = [() => issuer.close()];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s();
  };
  try {
    if (!a.jpki) {
      io.out(
        t({
          en: `trust: the TEST JPKI issuer in ${dir} (give --jpki DIR for another issuer)`,
          ja: `信頼: テスト用 JPKI 発行者（${dir}）。別の発行者は --jpki DIR で指定`,
        }),
      );
    }
    let pkiUrl = a.pkiUrl?.replace(/\/$/, '');
    if (!pkiUrl) {
      const pki = await startPkiServer(issuer, { port: 0 });
      stops.push(() => pki.close());
      pkiUrl = pki.url;
      io.out(
        t({
          en: `OCSP and CRLs: the issuer's responder in this process at ${pkiUrl} (give --pki-url for a running one)`,
          ja: `OCSP・CRL: このプロセス内の発行者レスポンダ ${pkiUrl}（稼働中のものは --pki-url で指定）`,
        }),
      );
    }
    const trust = idp.makeTrust({
      root: issuer.rootCertificate,
      cas: [
        {
          certificate: issuer.authCaCertificate,
          use: 'auth',
          label: 'auth',
          crlUrl: `${pkiUrl}/crl/auth.crl`,
        },
        {
          certificate: issuer.signCaCertificate,
          use: 'sign',
          label: 'sign',
          crlUrl: `${pkiUrl}/crl/sign.crl`,
        },
      ],
    });
    const crls = new idp.CrlStore(trust);
    const report = (failures: readonly { label: string; error: string }[]) => {
      for (const f of failures) {
        io.err(
          t({
            en: `CRL of the ${f.label} CA not installed: ${f.error} (OCSP still answers; the CRL 方式 waits for it)`,
            ja: `${f.label} CA の CRL を取り込めませんでした: ${f.error}（OCSP は使えます。CRL 方式はそれを待ちます）`,
          }),
        );
      }
    };
    report(await crls.refresh());
    const timer = setInterval(() => void crls.refresh().then(report), CRL_REFRESH_MS);
    timer.unref();
    stops.push(async () => clearInterval(timer));
    const validator = new idp.CertificateValidator({ trust, crls, ocspUrl: `${pkiUrl}/ocsp` });
    const keysFile = a.keysFile ?? defaultIdpKeys();
    const { keys, created } = await idp.openIdpKeys(keysFile);
    io.out(
      t(
        created
          ? {
              en: `keys: made ${keysFile} (PPID secret, ID token key, cookie keys) — back it up: without it every PPID changes`,
              ja: `鍵: ${keysFile} を作成しました（PPID秘密・IDトークン署名鍵・Cookie鍵）。バックアップしてください（失うと全てのPPIDが変わります）`,
            }
          : { en: `keys: ${keysFile}`, ja: `鍵: ${keysFile}` },
      ),
    );
    const holders = new idp.HolderKeys(new idp.PpidSecrets(keys.ppidMaster));
    return {
      parts: {
        validator,
        crls,
        holders,
        keys,
        baseUrl: a.baseUrl,
        ...(a.bridgeUrl ? { bridgeUrl: bridgeUrlOf(a.bridgeUrl) } : {}),
      },
      close: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

function bridgeUrlOf(v: string): string {
  let u: URL | undefined;
  try {
    u = new URL(v);
  } catch {
    u = undefined;
  }
  if (!u || u.protocol !== 'http:' || !['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname)) {
    throw new CliError(
      {
        en: `--bridge-url ${v}: the bridge runs on this computer (http://127.0.0.1:PORT)`,
        ja: `--bridge-url ${v}: ブリッジは利用者のパソコン上で動きます（http://127.0.0.1:ポート）`,
      },
      2,
    );
  }
  return u.origin;
}

/** A free TCP port on `host` (the OIDC issuer names its port before the server listens). */
export async function freePort(host: string): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, host, resolve);
  });
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

function portOf(v: unknown): number | undefined {
  const p = int(v, 'port');
  if (p !== undefined && p > 65535)
    throw new CliError({ en: '--port must be 0..65535', ja: '--port は 0〜65535 です' }, 2);
  return p;
}

/** `--base-url`, or http://host:port: what the platform calls itself. */
export function baseUrlOf(values: Record<string, unknown>, host: string, port: number, path = '') {
  const given = str(values['base-url']);
  if (given) {
    let u: URL | undefined;
    try {
      u = new URL(given);
    } catch {
      u = undefined;
    }
    if (!u || !/^https?:$/.test(u.protocol) || u.search || u.hash) {
      throw new CliError(
        {
          en: `--base-url must be an http(s) URL: ${given}`,
          ja: `--base-url は http(s) の URL です: ${given}`,
        },
        2,
      );
    }
    return given.replace(/\/$/, '');
  }
  const h = host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}${path}`;
}

async function openIdpDb(dataDir: string | undefined) {
  const [{ openDb, DbError }, { idpMigrations }] = await Promise.all([
    import('@myna-ap/db'),
    import('@myna-ap/idp'),
  ]);
  const databaseUrl = process.env.DATABASE_URL;
  try {
    return await openDb({
      databaseUrl,
      dataDir: databaseUrl ? undefined : (dataDir ?? defaultIdpDataDir()),
      migrations: [idpMigrations],
    });
  } catch (e) {
    if (e instanceof DbError)
      throw new CliError({ en: `${e.text.en} [${e.code}]`, ja: `${e.text.ja} [${e.code}]` });
    throw e;
  }
}

/**
 * `myna serve --idp`: the platform as a mount at /idp of the loader's server, on
 * the loader's database (its tables migrated there at start).
 */
export async function mountFor(values: Record<string, unknown>, port: number, io: CliIo) {
  const host = str(values.host) ?? '127.0.0.1';
  const baseUrl = baseUrlOf(values, host, port, IDP_MOUNT);
  const platform = await platformFor(
    {
      jpki: str(values.jpki),
      pkiUrl: str(values['pki-url']),
      keysFile: str(values['idp-keys']),
      baseUrl,
      bridgeUrl: str(values['bridge-url']),
    },
    io,
  );
  const { idpMount } = await import('@myna-ap/idp');
  io.out(
    t({
      en: `identity platform mounted at ${baseUrl} — machine API ${baseUrl}/token, OIDC issuer ${baseUrl}/oidc; on the loader's database`,
      ja: `認証基盤を ${baseUrl} にマウント — マシンAPI ${baseUrl}/token、OIDC発行者 ${baseUrl}/oidc（カードAP搭載システムのデータベース）`,
    }),
  );
  return { mount: idpMount(platform.parts, IDP_MOUNT), close: platform.close };
}

/** `myna idp serve` up to listening (the command then waits for Ctrl-C): tests call it. */
export async function startIdp(values: Record<string, unknown>, io: CliIo) {
  const host = str(values.host) ?? '127.0.0.1';
  let port = portOf(values.port) ?? IDP_PORT;
  if (port === 0) port = await freePort(host);
  const baseUrl = baseUrlOf(values, host, port);
  const dataDir = str(values['data-dir']);
  // Trust and keys first: a bad issuer or key file is told before the database opens.
  const platform = await platformFor(
    {
      jpki: str(values.jpki),
      pkiUrl: str(values['pki-url']),
      keysFile: str(values.keys),
      baseUrl,
      bridgeUrl: str(values['bridge-url']),
    },
    io,
  );
  let db;
  try {
    db = await openIdpDb(dataDir);
  } catch (e) {
    await platform.close();
    throw e;
  }
  const { startIdpServer } = await import('@myna-ap/idp');
  let server;
  try {
    server = await startIdpServer({
      ...platform.parts,
      db,
      port,
      host,
      logger: {
        level: process.env.MYNA_LOG_LEVEL ?? 'warn',
        redact: ['req.headers.authorization'],
      },
    });
  } catch (e) {
    await platform.close();
    await db.close();
    if ((e as { code?: string }).code === 'EADDRINUSE') {
      throw new CliError({
        en: `port ${port} is in use: is a server already running? (or try --port)`,
        ja: `ポート ${port} は使用中です。既にサーバが起動していませんか（--port で変更できます）`,
      });
    }
    throw e;
  }
  const where = process.env.DATABASE_URL
    ? 'PostgreSQL (DATABASE_URL)'
    : (dataDir ?? defaultIdpDataDir());
  io.out(
    t({
      en: `myna identity platform listening on ${server.url} — machine API ${baseUrl}/token, OIDC issuer ${baseUrl}/oidc; database ${where}`,
      ja: `myna 認証基盤: ${server.url} — マシンAPI ${baseUrl}/token、OIDC発行者 ${baseUrl}/oidc、データベース ${where}`,
    }),
  );
  return {
    url: server.url,
    baseUrl,
    db,
    async close() {
      await server.close();
      await platform.close();
      await db.close();
    },
  };
}

const serve: CliCommand = {
  path: ['idp', 'serve'],
  summary: {
    en: 'run the identity platform (validation, user proof, PPID, OIDC) on its own server',
    ja: '認証基盤（有効性確認・利用者証明・PPID・OIDC）を単独のサーバで起動',
  },
  usage:
    '[--port N] [--host H] [--base-url URL] [--data-dir DIR] [--keys FILE] [--jpki ISSUER_DIR] [--pki-url URL] [--bridge-url URL]',
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'base-url': { type: 'string' },
    'data-dir': { type: 'string' },
    keys: { type: 'string' },
    jpki: { type: 'string' },
    'pki-url': { type: 'string' },
    'bridge-url': { type: 'string' },
  },
  async run({ values }, io) {
    const running = await startIdp(values, io);
    await untilSignal();
    await running.close();
    return 0;
  },
};

const SCOPE_WORDS = 'validate,proof,ppid,touch,sign';

const clientAdd: CliCommand = {
  path: ['idp', 'client', 'add'],
  summary: {
    en: 'register a relying party (--redirect-uri, --jwks) or a machine client (--scope, --secret or --jwks)',
    ja: '依拠当事者（--redirect-uri・--jwks）またはマシンクライアント（--scope、--secret または --jwks）を登録',
  },
  usage:
    '--id CLIENT_ID [--name NAME] [--sector S] [--scope validate|proof|ppid|touch|sign]... [--origin URL]... [--redirect-uri URL]... [--jwks FILE] [--secret] [--data-dir DIR] [--json]',
  options: {
    id: { type: 'string' },
    name: { type: 'string' },
    sector: { type: 'string' },
    scope: { type: 'string', multiple: true },
    origin: { type: 'string', multiple: true },
    'redirect-uri': { type: 'string', multiple: true },
    jwks: { type: 'string' },
    secret: { type: 'boolean' },
    'data-dir': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values }, io) {
    const clientId = need(values.id, 'id');
    const scopes = strs(values.scope)
      .flatMap((s) => s.split(','))
      .filter(Boolean);
    const { isScope, registerClient, IdpError } = await import('@myna-ap/idp');
    for (const s of scopes) {
      if (!isScope(s)) {
        throw new CliError(
          {
            en: `--scope ${s}: one of ${SCOPE_WORDS}`,
            ja: `--scope ${s}: ${SCOPE_WORDS} のいずれかです`,
          },
          2,
        );
      }
    }
    const jwksFile = str(values.jwks);
    let jwks;
    if (jwksFile) {
      try {
        jwks = JSON.parse(await readFile(jwksFile, 'utf8')) as { keys: Record<string, unknown>[] };
      } catch (e) {
        throw new CliError({
          en: `--jwks ${jwksFile}: not a readable JSON file (${(e as Error).message})`,
          ja: `--jwks ${jwksFile}: JSON ファイルとして読めません`,
        });
      }
      const keys = (jwks as { keys?: unknown }).keys;
      if (
        !Array.isArray(keys) ||
        keys.length === 0 ||
        keys.some((k) => k && typeof k === 'object' && 'd' in k)
      ) {
        throw new CliError({
          en: `--jwks ${jwksFile}: a JWK set {"keys":[…]} of public keys (a private key must stay with the client)`,
          ja: `--jwks ${jwksFile}: 公開鍵の JWK セット {"keys":[…]} を指定してください（秘密鍵はクライアントの手元に置きます）`,
        });
      }
    }
    const redirectUris = strs(values['redirect-uri']);
    const secret = values.secret === true;
    if (!secret && !jwks) {
      throw new CliError(
        {
          en: 'give --secret (a client secret, shown once) or --jwks FILE (private_key_jwt; required for a relying party)',
          ja: '--secret（クライアントシークレット。表示は一度だけ）か --jwks FILE（private_key_jwt。依拠当事者は必須）を指定してください',
        },
        2,
      );
    }
    const db = await openIdpDb(str(values['data-dir']));
    try {
      const { client, secret: made } = await registerClient(db, {
        clientId,
        name: str(values.name) ?? clientId,
        ...(str(values.sector) ? { sector: str(values.sector)! } : {}),
        scopes: scopes as Parameters<typeof registerClient>[1]['scopes'],
        origins: strs(values.origin),
        redirectUris,
        secret,
        ...(jwks ? { jwks: jwks as Parameters<typeof registerClient>[1]['jwks'] } : {}),
      }).catch((e: unknown) => {
        if (e instanceof IdpError)
          throw new CliError({ en: `${e.text.en} [${e.code}]`, ja: `${e.text.ja} [${e.code}]` });
        throw e;
      });
      if (values.json) {
        io.out(JSON.stringify({ ...client, ...(made ? { secret: made } : {}) }));
        return 0;
      }
      io.out(
        t({
          en: `client ${client.clientId} registered (sector ${client.sector}; scopes ${client.scopes.join(' ') || '-'}; redirect URIs ${client.redirectUris.join(' ') || '-'})`,
          ja: `クライアント ${client.clientId} を登録しました（セクター ${client.sector}、スコープ ${client.scopes.join(' ') || '-'}、リダイレクトURI ${client.redirectUris.join(' ') || '-'}）`,
        }),
      );
      if (made) {
        io.out(
          t({
            en: `client secret (shown once; keep it with the client): ${made}`,
            ja: `クライアントシークレット（表示は一度だけです。クライアント側で保管してください）: ${made}`,
          }),
        );
      }
      return 0;
    } finally {
      await db.close();
    }
  },
};

/**
 * `myna idp site add`: the administrator declares a client's site for かざし利用. The
 * declaration says the seed's three conditions; a site that is not staffed,
 * face-to-face and of 保証レベル1 is refused (so an online or unattended one never is).
 */
const siteAdd: CliCommand = {
  path: ['idp', 'site', 'add'],
  summary: {
    en: 'declare a client’s staffed, face-to-face 保証レベル1 site for かざし利用 (touch-only use)',
    ja: 'クライアントのかざし利用の拠点（有人・対面・保証レベル1）を届け出る',
  },
  usage:
    '--client CLIENT_ID --site SITE_ID --name NAME --staffed --face-to-face --level 1 [--data-dir DIR]',
  options: {
    client: { type: 'string' },
    site: { type: 'string' },
    name: { type: 'string' },
    staffed: { type: 'boolean' },
    'face-to-face': { type: 'boolean' },
    level: { type: 'string' },
    'data-dir': { type: 'string' },
  },
  async run({ values }, io) {
    const clientId = need(values.client, 'client');
    const siteId = need(values.site, 'site');
    const name = need(values.name, 'name');
    const level = Number(str(values.level) ?? 'NaN');
    const { declareTouchSite, IdpError } = await import('@myna-ap/idp');
    const db = await openIdpDb(str(values['data-dir']));
    try {
      await declareTouchSite(db, clientId, {
        siteId,
        name,
        staffed: values.staffed === true,
        faceToFace: values['face-to-face'] === true,
        assuranceLevel: level,
      }).catch((e: unknown) => {
        if (e instanceof IdpError)
          throw new CliError({ en: `${e.text.en} [${e.code}]`, ja: `${e.text.ja} [${e.code}]` });
        throw e;
      });
      io.out(
        t({
          en: `site ${siteId} (${name}) of ${clientId} declared for かざし利用`,
          ja: `${clientId} の拠点 ${siteId}（${name}）をかざし利用の拠点として届け出ました`,
        }),
      );
      return 0;
    } finally {
      await db.close();
    }
  },
};

/** `myna idp site list`: a client's declared sites. */
const siteList: CliCommand = {
  path: ['idp', 'site', 'list'],
  summary: {
    en: 'list a client’s sites declared for かざし利用',
    ja: 'クライアントのかざし利用の拠点を一覧表示',
  },
  usage: '--client CLIENT_ID [--json] [--data-dir DIR]',
  options: {
    client: { type: 'string' },
    json: { type: 'boolean' },
    'data-dir': { type: 'string' },
  },
  async run({ values }, io) {
    const clientId = need(values.client, 'client');
    const { listTouchSites } = await import('@myna-ap/idp');
    const db = await openIdpDb(str(values['data-dir']));
    try {
      const sites = await listTouchSites(db, clientId);
      if (values.json) io.out(JSON.stringify(sites, null, 2));
      else if (sites.length === 0)
        io.out(
          t({
            en: `${clientId} has no site declared for かざし利用`,
            ja: `${clientId} にはかざし利用の拠点がありません`,
          }),
        );
      else for (const s of sites) io.out(`${s.siteId}  ${s.name}`);
      return 0;
    } finally {
      await db.close();
    }
  },
};

/**
 * `myna idp site remove`: the site is withdrawn; touches there are refused from the
 * next request on (the holders' registrations stay: they belong to the service).
 */
const siteRemove: CliCommand = {
  path: ['idp', 'site', 'remove'],
  summary: {
    en: 'withdraw a client’s かざし利用 site: touches there are refused at once',
    ja: 'クライアントのかざし利用の拠点を廃止（以後その拠点でのかざしは拒否）',
  },
  usage: '--client CLIENT_ID --site SITE_ID [--data-dir DIR]',
  options: { client: { type: 'string' }, site: { type: 'string' }, 'data-dir': { type: 'string' } },
  async run({ values }, io) {
    const clientId = need(values.client, 'client');
    const siteId = need(values.site, 'site');
    const { withdrawTouchSite } = await import('@myna-ap/idp');
    const db = await openIdpDb(str(values['data-dir']));
    try {
      if (!(await withdrawTouchSite(db, clientId, siteId))) {
        throw new CliError({
          en: `${clientId} has no site ${siteId} declared for かざし利用 [TOUCH_SITE_UNDECLARED]`,
          ja: `${clientId} にかざし利用の拠点 ${siteId} はありません [TOUCH_SITE_UNDECLARED]`,
        });
      }
      io.out(
        t({
          en: `site ${siteId} of ${clientId} withdrawn: touches there are refused from now on`,
          ja: `${clientId} の拠点 ${siteId} を廃止しました。以後この拠点でのかざしは拒否されます`,
        }),
      );
      return 0;
    } finally {
      await db.close();
    }
  },
};

export const idpCommands: readonly CliCommand[] = [serve, clientAdd, siteAdd, siteList, siteRemove];
