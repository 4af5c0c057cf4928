/** `myna pki …`: the test JPKI issuer (root, issuing CAs, OCSP responder certificates). */
import { JpkiIssuer, PkiError, defaultPkiDir } from '@myna-ap/pki';
import { CliError, type CliCommand } from '../command.ts';
import { t } from '../i18n.ts';

function dirOf(values: Record<string, unknown>): string {
  return typeof values.dir === 'string' && values.dir !== '' ? values.dir : defaultPkiDir();
}

function asCliError(e: unknown, dir: string): never {
  if (e instanceof PkiError) {
    throw new CliError({
      en: `JPKI issuer in ${dir}: ${e.message}`,
      ja: `JPKI 発行者（${dir}）: ${e.message}`,
    });
  }
  throw e;
}

const init: CliCommand = {
  path: ['pki', 'init'],
  summary: {
    en: 'create a test JPKI issuer: root, auth and sign CAs, OCSP responder certificates',
    ja: 'テスト用 JPKI 発行者（ルート、利用者証明用・署名用CA、OCSPレスポンダ証明書）を作成',
  },
  usage: '[--dir DIR] [--base-url URL]',
  options: { dir: { type: 'string' }, 'base-url': { type: 'string' } },
  async run({ values }, io) {
    const dir = dirOf(values);
    const baseUrl = typeof values['base-url'] === 'string' ? values['base-url'] : undefined;
    if (baseUrl !== undefined && !/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(baseUrl)) {
      throw new CliError({
        en: `--base-url must be an http(s) URL, got ${baseUrl}`,
        ja: `--base-url は http(s) の URL を指定してください: ${baseUrl}`,
      });
    }
    const issuer = await JpkiIssuer.init(
      dir,
      baseUrl ? { baseUrl: baseUrl.replace(/\/$/, '') } : {},
    ).catch((e: unknown) => asCliError(e, dir));
    io.out(
      t({
        en: `test JPKI issuer created in ${dir} (OCSP and CRL URLs under ${issuer.baseUrl}); TEST ONLY`,
        ja: `テスト用 JPKI 発行者を ${dir} に作成しました（OCSP・CRL の URL: ${issuer.baseUrl}）。試験専用です`,
      }),
    );
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
    const issuer = await JpkiIssuer.open(dir).catch((e: unknown) => asCliError(e, dir));
    io.out(issuer.chainPem().trimEnd());
    return 0;
  },
};

export const pkiCommands: readonly CliCommand[] = [init, chain];
