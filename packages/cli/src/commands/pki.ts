/** `myna pki …`: the test JPKI issuer (root, issuing CAs, OCSP responder certificates). */
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import {
  JpkiIssuer,
  PKCS11_PIN_ENV,
  PkiError,
  REVOCATION_REASONS,
  type RevocationReason,
  defaultPkiDir,
  startPkiCluster,
  startPkiServer,
} from '@myna-ap/pki';
import { CliError, type CliCommand } from '../command.ts';
import { t } from '../i18n.ts';

function dirOf(values: Record<string, unknown>): string {
  return typeof values.dir === 'string' && values.dir !== '' ? values.dir : defaultPkiDir();
}

/** The issuer's error in both languages (its catalogue's Japanese, then the detail). */
function asCliError(e: unknown, dir: string): never {
  if (e instanceof PkiError) {
    throw new CliError({
      en: `JPKI issuer in ${dir}: ${e.text.en}`,
      ja: `JPKI 発行者（${dir}）: ${e.text.ja}`,
    });
  }
  throw e;
}

/** Opens the issuer, runs `fn`, and always releases the key store (PKCS#11 sessions). */
async function withIssuer<T>(dir: string, fn: (issuer: JpkiIssuer) => Promise<T>): Promise<T> {
  const issuer = await JpkiIssuer.open(dir).catch((e: unknown) => asCliError(e, dir));
  try {
    return await fn(issuer).catch((e: unknown) => asCliError(e, dir));
  } finally {
    await issuer.close();
  }
}

/** `--pkcs11-module PATH` with `--pkcs11-token LABEL` (or `--pkcs11-slot N`); the PIN from the environment only. */
function pkcs11Options(values: Record<string, unknown>) {
  const module = values['pkcs11-module'];
  const token = values['pkcs11-token'];
  const slot = values['pkcs11-slot'];
  if (module === undefined && token === undefined && slot === undefined) return undefined;
  if (typeof module !== 'string' || module === '') {
    throw new CliError({
      en: '--pkcs11-module PATH is required with --pkcs11-token or --pkcs11-slot (Debian SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)',
      ja: '--pkcs11-token または --pkcs11-slot には --pkcs11-module PATH が必要です（Debian の SoftHSM2: /usr/lib/softhsm/libsofthsm2.so）',
    });
  }
  if ((token === undefined) === (slot === undefined)) {
    throw new CliError({
      en: 'give one of --pkcs11-token LABEL or --pkcs11-slot N',
      ja: '--pkcs11-token LABEL か --pkcs11-slot N のどちらか一方を指定してください',
    });
  }
  const slotNumber = slot === undefined ? undefined : Number(slot);
  if (slotNumber !== undefined && !(Number.isSafeInteger(slotNumber) && slotNumber >= 0)) {
    throw new CliError({
      en: `--pkcs11-slot must be a slot number, got ${String(slot)}`,
      ja: `--pkcs11-slot にはスロット番号を指定してください: ${String(slot)}`,
    });
  }
  const pin = process.env[PKCS11_PIN_ENV];
  if (!pin) {
    throw new CliError({
      en: `set ${PKCS11_PIN_ENV} to the token's user PIN (it is never taken from the command line)`,
      ja: `環境変数 ${PKCS11_PIN_ENV} にトークンの利用者 PIN を設定してください（コマンドラインでは受け付けません）`,
    });
  }
  return {
    module,
    ...(typeof token === 'string' ? { token } : { slot: slotNumber! }),
    pin,
  };
}

const init: CliCommand = {
  path: ['pki', 'init'],
  summary: {
    en: 'create a test JPKI issuer: root, auth and sign CAs, OCSP responder certificates',
    ja: 'テスト用 JPKI 発行者（ルート、利用者証明用・署名用CA、OCSPレスポンダ証明書）を作成',
  },
  usage:
    '[--dir DIR] [--base-url URL] [--pkcs11-module PATH (--pkcs11-token LABEL | --pkcs11-slot N)]   (PIN: $MYNA_PKCS11_PIN)',
  options: {
    dir: { type: 'string' },
    'base-url': { type: 'string' },
    'pkcs11-module': { type: 'string' },
    'pkcs11-token': { type: 'string' },
    'pkcs11-slot': { type: 'string' },
  },
  async run({ values }, io) {
    const dir = dirOf(values);
    const pkcs11 = pkcs11Options(values);
    const baseUrl = typeof values['base-url'] === 'string' ? values['base-url'] : undefined;
    if (baseUrl !== undefined && !/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(baseUrl)) {
      throw new CliError({
        en: `--base-url must be an http(s) URL, got ${baseUrl}`,
        ja: `--base-url は http(s) の URL を指定してください: ${baseUrl}`,
      });
    }
    const issuer = await JpkiIssuer.init(dir, {
      ...(baseUrl ? { baseUrl: baseUrl.replace(/\/$/, '') } : {}),
      ...(pkcs11 ? { pkcs11 } : {}),
    }).catch((e: unknown) => asCliError(e, dir));
    await issuer.close();
    io.out(
      t({
        en: `test JPKI issuer created in ${dir} (OCSP and CRL URLs under ${issuer.baseUrl}); TEST ONLY`,
        ja: `テスト用 JPKI 発行者を ${dir} に作成しました（OCSP・CRL の URL: ${issuer.baseUrl}）。試験専用です`,
      }),
    );
    if (pkcs11) {
      const where = 'token' in pkcs11 ? `token "${pkcs11.token}"` : `slot ${pkcs11.slot}`;
      io.out(
        t({
          en: `keys generated in the PKCS#11 ${where} (${pkcs11.module}), not extractable; later commands need ${PKCS11_PIN_ENV}`,
          ja: `鍵は PKCS#11 ${where}（${pkcs11.module}）内で生成しました（取り出し不可）。以後のコマンドには ${PKCS11_PIN_ENV} が必要です`,
        }),
      );
    }
    return 0;
  },
};

const chain: CliCommand = {
  path: ['pki', 'chain'],
  summary: {
    en: 'print the CA certificates (auth CA, sign CA, root) as PEM',
    ja: 'CA 証明書（利用者証明用CA・署名用CA・ルート）を PEM で出力',
  },
  usage: '[--dir DIR]',
  options: { dir: { type: 'string' } },
  async run({ values }, io) {
    const dir = dirOf(values);
    const pem = await withIssuer(dir, async (issuer) => issuer.chainPem());
    io.out(pem.trimEnd());
    return 0;
  },
};

/**
 * The RFC 5280 CRLReason names OpenSSL users type (`openssl ca -crl_reason`), as the
 * JPKI reason this issuer records for them — the inverse of pki's CRL_REASON where
 * that is one-to-one. `lost` also becomes keyCompromise on the CRL, but an operator
 * typing keyCompromise means the key.
 */
export const RFC5280_REASONS: Readonly<Record<string, RevocationReason>> = {
  keyCompromise: 'key-compromise',
  affiliationChanged: 'info-change', // 記載事項変更
  cessationOfOperation: 'death', // 死亡
  superseded: 'replaced', // 更新・再交付: a new card's certificate supersedes it
  unspecified: 'holder-request',
};

/** RFC 5280 names this issuer has no JPKI reason for, and why (JPKI revokes for good). */
const NOT_JPKI: Readonly<Record<string, { en: string; ja: string }>> = {
  certificateHold: {
    en: 'JPKI has no suspension (certificateHold): a revocation here is permanent',
    ja: 'JPKI に一時停止 (certificateHold) はありません。ここでの失効は取り消せません',
  },
  removeFromCRL: {
    en: 'removeFromCRL undoes a hold, and JPKI has no hold',
    ja: 'removeFromCRL は一時停止の解除ですが、JPKI に一時停止はありません',
  },
  privilegeWithdrawn: {
    en: 'privilegeWithdrawn is not a reason JPKI revokes a card certificate for',
    ja: 'privilegeWithdrawn は JPKI のカード証明書の失効理由ではありません',
  },
  cACompromise: {
    en: 'cACompromise is about the CA, not a card certificate',
    ja: 'cACompromise は CA の失効理由で、カード証明書のものではありません',
  },
  aACompromise: {
    en: 'aACompromise is about an attribute authority, not a card certificate',
    ja: 'aACompromise は属性認証局の失効理由で、カード証明書のものではありません',
  },
};

/** `--reason` as a JPKI reason: one of pki's names, or an RFC 5280 name (any case). */
export function revocationReason(given: string): RevocationReason {
  if ((REVOCATION_REASONS as readonly string[]).includes(given)) return given as RevocationReason;
  const lower = given.toLowerCase();
  const rfc = Object.keys(RFC5280_REASONS).find((k) => k.toLowerCase() === lower);
  if (rfc) return RFC5280_REASONS[rfc]!;
  const names = [...REVOCATION_REASONS, ...Object.keys(RFC5280_REASONS)].join(', ');
  const why = Object.entries(NOT_JPKI).find(([k]) => k.toLowerCase() === lower)?.[1];
  throw new CliError({
    en: `${why ? why.en : `unknown reason "${given}"`}; give one of: ${names}`,
    ja: `${why ? why.ja : `不明な理由「${given}」`}。次のいずれかを指定してください: ${names}`,
  });
}

const revoke: CliCommand = {
  path: ['pki', 'revoke'],
  summary: {
    en: `revoke a card certificate (reasons: ${REVOCATION_REASONS.join(', ')}, or RFC 5280's ${Object.keys(RFC5280_REASONS).join(', ')})`,
    ja: `カード証明書を失効（理由: ${REVOCATION_REASONS.join(', ')}、または RFC 5280 の ${Object.keys(RFC5280_REASONS).join(', ')}）`,
  },
  usage: '--serial HEX --reason REASON [--dir DIR]',
  options: { dir: { type: 'string' }, serial: { type: 'string' }, reason: { type: 'string' } },
  async run({ values }, io) {
    const dir = dirOf(values);
    if (typeof values.serial !== 'string' || typeof values.reason !== 'string') {
      throw new CliError({
        en: '--serial and --reason are required',
        ja: '--serial と --reason を指定してください',
      });
    }
    const serial = values.serial;
    const reason = revocationReason(values.reason);
    const r = await withIssuer(dir, (issuer) => issuer.revoke(serial, reason));
    io.out(
      t({
        en: `revoked ${r.kind} certificate ${r.serial} (${r.reason}) at ${r.revokedAt}`,
        ja: `${r.kind === 'sign' ? '署名用' : '利用者証明用'}証明書 ${r.serial} を失効しました（${r.reason}、${r.revokedAt}）`,
      }),
    );
    return 0;
  },
};

const crl: CliCommand = {
  path: ['pki', 'crl'],
  summary: {
    en: 'publish a full (or --delta) CRL of the sign or auth CA as DER',
    ja: '署名用または利用者証明用CAの CRL（--delta で差分）を DER で出力',
  },
  usage: '--out FILE [--kind sign|auth] [--delta] [--dir DIR]',
  options: {
    dir: { type: 'string' },
    out: { type: 'string' },
    kind: { type: 'string', default: 'sign' },
    delta: { type: 'boolean', default: false },
  },
  async run({ values }, io) {
    const dir = dirOf(values);
    const kind = values.kind;
    if (kind !== 'sign' && kind !== 'auth') {
      throw new CliError({ en: '--kind must be sign or auth', ja: '--kind は sign か auth です' });
    }
    if (typeof values.out !== 'string' || values.out === '') {
      throw new CliError({ en: '--out FILE is required', ja: '--out FILE を指定してください' });
    }
    const der = await withIssuer(dir, (issuer) =>
      issuer.crl(kind, { delta: values.delta === true }),
    );
    await writeFile(values.out, der);
    io.out(
      t({
        en: `${values.delta ? 'delta' : 'full'} ${kind} CRL written to ${values.out} (${der.length} bytes)`,
        ja: `${kind} CA の${values.delta ? '差分' : '完全'} CRL を ${values.out} に書き出しました（${der.length} バイト）`,
      }),
    );
    return 0;
  },
};

const serve: CliCommand = {
  path: ['pki', 'serve'],
  summary: {
    en: 'serve OCSP at /ocsp (GET and POST) and the latest CRLs under /crl/ until Ctrl-C',
    ja: 'OCSP（/ocsp、GET・POST）と最新の CRL（/crl/）を提供（Ctrl-C で終了）',
  },
  usage: '[--dir DIR] [--port N] [--host ADDR] [--workers N]',
  options: {
    dir: { type: 'string' },
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    // OCSP worker processes (node:cluster); 1 = this process only
    workers: { type: 'string', default: String(availableParallelism()) },
  },
  async run({ values }, io) {
    const dir = dirOf(values);
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new CliError({ en: `--port must be 0..65535`, ja: `--port は 0〜65535 です` });
    }
    const workers = Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
      throw new CliError({ en: `--workers must be 1..64`, ja: `--workers は 1〜64 です` });
    }
    const issuer = await JpkiIssuer.open(dir).catch((e: unknown) => asCliError(e, dir));
    const opts = { port, host: String(values.host), log: (l: string) => io.err(l) };
    const server = await (
      workers > 1
        ? startPkiCluster(issuer, dir, { ...opts, workers })
        : startPkiServer(issuer, opts)
    ).catch(async (e: unknown) => {
      await issuer.close();
      return asCliError(e, dir);
    });
    io.out(
      t({
        en: `JPKI test issuer serving at ${server.url}  (OCSP ${server.url}/ocsp, CRLs ${server.url}/crl/sign.crl, ${server.url}/crl/auth.crl); Ctrl-C stops`,
        ja: `テスト用 JPKI 発行者を ${server.url} で提供中（OCSP ${server.url}/ocsp、CRL ${server.url}/crl/sign.crl・${server.url}/crl/auth.crl）。Ctrl-C で終了`,
      }),
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
    await issuer.close();
    return 0;
  },
};

export const pkiCommands: readonly CliCommand[] = [init, chain, revoke, crl, serve];
