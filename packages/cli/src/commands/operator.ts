/** `myna login|logout`, `myna operator add|list`, `myna terminal add|list`. */
import { readFileSync } from 'node:fs';
import {
  ApiClient,
  ApiError,
  clearCredentials,
  resolveTarget,
  saveCredentials,
} from '@myna-ap/loader/client';
import { CliError, type CliCommand } from '../command.ts';
import { t } from '../i18n.ts';
import { newOperatorBody, newTerminalBody, type AreaName } from '@myna-ap/loader/contract';
import { SERVER_OPTIONS, api, need, str, strs, table, valid } from './serve.ts';

/** A password from an environment variable or the first line of stdin (never a flag: flags show in `ps`). */
export function readPassword(envName: string, fromStdin: boolean): string {
  const env = process.env[envName];
  if (env !== undefined && env !== '' && !fromStdin) return env;
  if (!fromStdin) {
    throw new CliError(
      {
        en: `give the password in ${envName} or on stdin with --password-stdin`,
        ja: `パスワードは ${envName} または --password-stdin（標準入力）で渡してください`,
      },
      2,
    );
  }
  const line = readFileSync(0, 'utf8').split(/\r?\n/)[0] ?? '';
  if (line === '')
    throw new CliError({ en: 'no password on stdin', ja: '標準入力にパスワードがありません' }, 2);
  return line;
}

const login: CliCommand = {
  path: ['login'],
  summary: {
    en: 'log in to the loader and keep the session token (0600)',
    ja: 'サーバにログインしセッションを保存（0600）',
  },
  usage: '--user LOGIN [--password-stdin] [--server URL]   (or MYNA_PASSWORD)',
  options: {
    user: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    server: { type: 'string' },
  },
  async run({ values }, io) {
    const user = need(values.user, 'user');
    const password = readPassword('MYNA_PASSWORD', values['password-stdin'] === true);
    const { server } = await resolveTarget(str(values.server));
    let res;
    try {
      res = await new ApiClient(server).call('login', { body: { login: user, password } });
    } catch (e) {
      if (e instanceof ApiError)
        throw new CliError({ en: `${e.text.en} [${e.code}]`, ja: `${e.text.ja} [${e.code}]` });
      throw e;
    }
    const path = await saveCredentials({
      server,
      token: res.token,
      login: user,
      expiresAt: res.expiresAt,
    });
    io.out(
      t({
        en: `logged in to ${server} as ${user} (${res.operator.role}${res.operator.providerId ? ` of ${res.operator.providerId}` : ''}) until ${res.expiresAt}; token in ${path}`,
        ja: `${server} に ${user}（${res.operator.role}${res.operator.providerId ? `・${res.operator.providerId}` : ''}）としてログインしました。有効期限 ${res.expiresAt}、トークン保存先 ${path}`,
      }),
    );
    return 0;
  },
};

const logout: CliCommand = {
  path: ['logout'],
  summary: {
    en: 'revoke the saved session and forget it',
    ja: '保存したセッションを失効させて削除',
  },
  usage: '[--server URL]',
  options: { server: { type: 'string' } },
  async run({ values }, io) {
    try {
      await api(values, (c) => c.call('logout'));
    } finally {
      await clearCredentials();
    }
    io.out(t({ en: 'logged out', ja: 'ログアウトしました' }));
    return 0;
  },
};

const operatorAdd: CliCommand = {
  path: ['operator', 'add'],
  summary: {
    en: 'create an operator (password from MYNA_NEW_PASSWORD or stdin)',
    ja: 'オペレーターを作成（パスワードは MYNA_NEW_PASSWORD または標準入力）',
  },
  usage:
    '--login NAME --name DISPLAY --role administrator|loading_operator|auditor|read_only|platform [--provider ID] [--terminal T]... [--password-stdin]',
  options: {
    ...SERVER_OPTIONS,
    login: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string' },
    provider: { type: 'string' },
    terminal: { type: 'string', multiple: true },
    'password-stdin': { type: 'boolean' },
  },
  async run({ values }, io) {
    const role = need(values.role, 'role');
    const body = valid(
      newOperatorBody,
      {
        login: need(values.login, 'login'),
        displayName: str(values.name) ?? need(values.login, 'login'),
        role,
        providerId: role === 'platform' ? null : need(values.provider, 'provider'),
        password: readPassword('MYNA_NEW_PASSWORD', values['password-stdin'] === true),
        terminals: strs(values.terminal),
      },
      'body',
    );
    const op = await api(values, (c) => c.call('createOperator', { body }));
    if (values.json) io.out(JSON.stringify(op, null, 2));
    else
      io.out(
        t({
          en: `operator ${op.login} created (${op.id})`,
          ja: `オペレーター ${op.login} を作成しました（${op.id}）`,
        }),
      );
    return 0;
  },
};

const operatorList: CliCommand = {
  path: ['operator', 'list'],
  summary: { en: 'list operators in your scope', ja: '権限範囲のオペレーター一覧' },
  usage: '[--provider ID] [--json]',
  options: { ...SERVER_OPTIONS, provider: { type: 'string' } },
  async run({ values }, io) {
    const p = str(values.provider);
    const ops = await api(values, (c) =>
      c.call('listOperators', { query: p ? { providerId: p } : {} }),
    );
    if (values.json) io.out(JSON.stringify(ops, null, 2));
    else table(io.out, ops, ['login', 'role', 'providerId', 'terminals', 'status', 'displayName']);
    return 0;
  },
};

const terminalAdd: CliCommand = {
  path: ['terminal', 'add'],
  summary: { en: 'register a loading terminal (搭載端末)', ja: '搭載端末を登録' },
  usage: '--id ID --provider ID --name NAME [--auto-load CARD_AP_ID[:local|extended]]...',
  options: {
    ...SERVER_OPTIONS,
    id: { type: 'string' },
    provider: { type: 'string' },
    name: { type: 'string' },
    'auto-load': { type: 'string', multiple: true },
  },
  async run({ values }, io) {
    const body = valid(
      newTerminalBody,
      {
        id: need(values.id, 'id'),
        providerId: need(values.provider, 'provider'),
        name: str(values.name) ?? need(values.id, 'id'),
        autoLoad: autoLoadItems(strs(values['auto-load'])),
      },
      'body',
    );
    const r = await api(values, (c) => c.call('createTerminal', { body }));
    if (values.json) io.out(JSON.stringify(r, null, 2));
    else io.out(t({ en: `terminal ${r.id} registered`, ja: `端末 ${r.id} を登録しました` }));
    return 0;
  },
};

/** `ap_…[:local|extended]` → the API's preset entries. */
function autoLoadItems(specs: readonly string[]): { cardApId: string; area?: AreaName }[] {
  return specs.map((spec) => {
    const [cardApId = '', area] = spec.split(':');
    if (area !== undefined && area !== 'local' && area !== 'extended') {
      throw new CliError(
        {
          en: `${spec}: the area is local or extended`,
          ja: `${spec}: 領域は local または extended です`,
        },
        2,
      );
    }
    return { cardApId, ...(area ? { area } : {}) };
  });
}

const terminalAutoLoad: CliCommand = {
  path: ['terminal', 'auto-load'],
  summary: {
    en: 'set the card APs a terminal loads without choosing (自動搭載); none clears it',
    ja: '端末の自動搭載（選択なしで搭載するカードAP）を設定。指定なしで解除',
  },
  usage: 'TERMINAL_ID [--ap CARD_AP_ID[:local|extended]]...',
  options: { ...SERVER_OPTIONS, ap: { type: 'string', multiple: true } },
  positionals: true,
  async run({ values, positionals }, io) {
    const id = positionals[0];
    if (!id || positionals.length > 1)
      throw new CliError({ en: 'give one terminal ID', ja: '端末IDを1つ指定してください' }, 2);
    const r = await api(values, (c) =>
      c.call('setAutoLoad', {
        params: { id },
        body: { autoLoad: autoLoadItems(strs(values.ap)) },
      }),
    );
    if (values.json) io.out(JSON.stringify(r, null, 2));
    else
      io.out(
        r.autoLoad.length === 0
          ? t({ en: `terminal ${id}: no auto-load`, ja: `端末 ${id}: 自動搭載なし` })
          : t({
              en: `terminal ${id} loads ${r.autoLoad.map((a) => `${a.cardApId} (${a.area})`).join(', ')}`,
              ja: `端末 ${id} の自動搭載: ${r.autoLoad.map((a) => `${a.cardApId}（${a.area}）`).join('、')}`,
            }),
      );
    return 0;
  },
};

const terminalList: CliCommand = {
  path: ['terminal', 'list'],
  summary: { en: 'list loading terminals', ja: '搭載端末の一覧' },
  usage: '[--json]',
  options: { ...SERVER_OPTIONS },
  async run({ values }, io) {
    const rows = await api(values, (c) => c.call('listTerminals'));
    if (values.json) io.out(JSON.stringify(rows, null, 2));
    else
      table(
        io.out,
        rows.map((r) => ({
          ...r,
          autoLoad: r.autoLoad.map((a) => `${a.cardApId}:${a.area ?? ''}`),
        })),
        ['id', 'providerId', 'name', 'autoLoad', 'status'],
      );
    return 0;
  },
};

function accountCommand(
  verb: 'unlock' | 'disable' | 'enable',
  summary: { en: string; ja: string },
  done: { en: string; ja: string },
): CliCommand {
  return {
    path: ['operator', verb],
    summary,
    usage: 'OPERATOR_ID',
    options: { ...SERVER_OPTIONS },
    positionals: true,
    async run({ values, positionals }, io) {
      const id = positionals[0];
      if (!id || positionals.length > 1) {
        throw new CliError(
          { en: 'give one operator ID (op_…)', ja: 'オペレーターID（op_…）を1つ指定してください' },
          2,
        );
      }
      await api(values, (c) =>
        verb === 'unlock'
          ? c.call('unlockOperator', { params: { id } })
          : c.call('setOperatorStatus', {
              params: { id },
              body: { status: verb === 'enable' ? 'active' : 'disabled' },
            }),
      );
      io.out(t(done));
      return 0;
    },
  };
}

const operatorUnlock = accountCommand(
  'unlock',
  { en: 'clear an operator’s lockout', ja: 'オペレーターのロックを解除' },
  { en: 'unlocked', ja: 'ロックを解除しました' },
);
const operatorDisable = accountCommand(
  'disable',
  { en: 'disable an operator (ends its sessions)', ja: 'オペレーターを無効化（セッションも終了）' },
  { en: 'disabled', ja: '無効化しました' },
);
const operatorEnable = accountCommand(
  'enable',
  { en: 'enable a disabled operator', ja: '無効化したオペレーターを有効化' },
  { en: 'enabled', ja: '有効化しました' },
);

export const operatorCommands: readonly CliCommand[] = [
  operatorUnlock,
  operatorDisable,
  operatorEnable,
  login,
  logout,
  operatorAdd,
  operatorList,
  terminalAdd,
  terminalAutoLoad,
  terminalList,
];
