/**
 * `myna client add|list|revoke`: API clients of a provider's business systems
 * (業務システム). The secret is printed once, at creation, and never again; the
 * system exchanges it at POST /v1/oauth/token for a 15-minute token that reads
 * only the status feed, the notices and the provider's key packages.
 */
import { newApiClientBody } from '@myna-ap/loader/contract';
import { readFile } from 'node:fs/promises';
import { CliError, type CliCommand } from '../command.ts';
import { t } from '../i18n.ts';
import { SERVER_OPTIONS, api, need, str, table, valid } from './serve.ts';

const clientAdd: CliCommand = {
  path: ['client', 'add'],
  summary: {
    en: 'create an API client of a business system (its secret is shown once, or it signs JWTs with the key given)',
    ja: '業務システムのAPIクライアントを作成（シークレットは一度だけ表示。公開鍵を指定すると署名付きJWTで認証）',
  },
  usage: '--provider ID --name NAME [--public-key FILE.pem] [--json]',
  options: {
    ...SERVER_OPTIONS,
    provider: { type: 'string' },
    name: { type: 'string' },
    'public-key': { type: 'string' },
  },
  async run({ values }, io) {
    const keyFile = str(values['public-key']);
    let publicKey: string | undefined;
    if (keyFile) {
      try {
        publicKey = await readFile(keyFile, 'utf8');
      } catch {
        throw new CliError({ en: `cannot read ${keyFile}`, ja: `${keyFile} を読めません` }, 2);
      }
    }
    const body = valid(
      newApiClientBody,
      {
        providerId: need(values.provider, 'provider'),
        name: need(values.name, 'name'),
        ...(publicKey === undefined ? {} : { publicKey }),
      },
      'body',
    );
    let tokenUrl = '';
    const r = await api(values, (c) => {
      tokenUrl = new URL('/v1/oauth/token', c.base).href;
      return c.call('createApiClient', { body });
    });
    if (values.json) {
      io.out(JSON.stringify(r, null, 2));
      return 0;
    }
    if (r.secret === undefined) {
      io.out(
        t({
          en: `API client ${r.client.id} of ${r.client.providerId} created; it authenticates with JWTs signed by its key (private_key_jwt).\nclient_id: ${r.client.id}\naudience:  the token endpoint's URL, e.g. ${tokenUrl}`,
          ja: `${r.client.providerId} のAPIクライアント ${r.client.id} を作成しました。登録した鍵で署名したJWTで認証します（private_key_jwt）。\nclient_id: ${r.client.id}\naudience:  トークンエンドポイントのURL（例 ${tokenUrl}）`,
        }),
      );
      return 0;
    }
    io.out(
      t({
        en: `API client ${r.client.id} of ${r.client.providerId} created.\nclient_id:     ${r.client.id}\nclient_secret: ${r.secret}\nKeep the secret now: it is not shown again.`,
        ja: `${r.client.providerId} のAPIクライアント ${r.client.id} を作成しました。\nclient_id:     ${r.client.id}\nclient_secret: ${r.secret}\nシークレットは再表示されません。今すぐ保管してください。`,
      }),
    );
    return 0;
  },
};

const clientList: CliCommand = {
  path: ['client', 'list'],
  summary: { en: 'list API clients in your scope', ja: '権限範囲のAPIクライアント一覧' },
  usage: '[--provider ID] [--json]',
  options: { ...SERVER_OPTIONS, provider: { type: 'string' } },
  async run({ values }, io) {
    const p = str(values.provider);
    const list = await api(values, (c) =>
      c.call('listApiClients', { query: p ? { providerId: p } : {} }),
    );
    if (values.json) io.out(JSON.stringify(list, null, 2));
    else table(io.out, list, ['id', 'providerId', 'name', 'authMethod', 'createdAt', 'revokedAt']);
    return 0;
  },
};

const clientRevoke: CliCommand = {
  path: ['client', 'revoke'],
  summary: {
    en: 'revoke an API client: its tokens stop at once',
    ja: 'APIクライアントを失効（発行済みトークンも即時に無効）',
  },
  usage: 'CLIENT_ID [--json]',
  options: { ...SERVER_OPTIONS },
  positionals: true,
  async run({ values, positionals }, io) {
    const id = positionals[0];
    if (!id || positionals.length > 1)
      throw new CliError(
        { en: 'give one API client ID', ja: 'APIクライアントIDを1つ指定してください' },
        2,
      );
    const r = await api(values, (c) => c.call('revokeApiClient', { params: { id } }));
    if (values.json) io.out(JSON.stringify(r, null, 2));
    else
      io.out(
        t({
          en: `API client ${r.id} revoked at ${r.revokedAt}`,
          ja: `APIクライアント ${r.id} を失効させました（${r.revokedAt}）`,
        }),
      );
    return 0;
  },
};

export const clientCommands: readonly CliCommand[] = [clientAdd, clientList, clientRevoke];
