/** `myna ap request|approve|list`: the card AP registry (カードAP管理). */
import { readFile, writeFile } from 'node:fs/promises';
import { CliError, type CliCommand } from '../command.ts';
import { t } from '../i18n.ts';
import { cardApRequestBody, cardApsQuery } from '@myna-ap/loader/contract';
import { SERVER_OPTIONS, api, int, need, str, strs, table, valid } from './serve.ts';

const carryOver: CliCommand = {
  path: ['ap', 'carry-over'],
  summary: {
    en: 'let municipalities’ counters carry a card AP over to a holder’s renewed or reissued card, or stop it (the owner’s administrator)',
    ja: '更新・再交付のカードへの窓口でのカードAP引継ぎを許可・停止（提供者の管理者）',
  },
  usage: 'CARD_AP_ID (--allow | --deny)',
  options: { ...SERVER_OPTIONS, allow: { type: 'boolean' }, deny: { type: 'boolean' } },
  positionals: true,
  async run({ values, positionals }, io) {
    const id = positionals[0];
    if (!id || positionals.length > 1 || (values.allow === true) === (values.deny === true)) {
      throw new CliError(
        {
          en: 'name the card AP and say --allow or --deny',
          ja: 'カードAPを指定し、--allow か --deny のどちらかを指定してください',
        },
        2,
      );
    }
    return api(values, async (c) => {
      const ap = await c.call('setCardApCarryOver', {
        params: { id },
        body: { allowed: values.allow === true },
      });
      io.out(
        ap.carryOver
          ? t({
              en: `${ap.name} (${ap.id}): counters may carry it over to renewed and reissued cards`,
              ja: `${ap.name}（${ap.id}）: 更新・再交付のカードへの窓口での引継ぎを許可しました`,
            })
          : t({
              en: `${ap.name} (${ap.id}): not carried over; holders ask you to load it again`,
              ja: `${ap.name}（${ap.id}）: 引継ぎを停止しました（本人から再搭載の依頼を受けます）`,
            }),
      );
      return 0;
    });
  },
};

const request: CliCommand = {
  path: ['ap', 'request'],
  summary: {
    en: 'request a card AP (type A, C, D or custom)',
    ja: 'カードAPの登録を依頼（タイプA・C・D・独自）',
  },
  usage:
    '--provider ID --name NAME --type A|C|D|custom --area local|extended [--area …] --size BYTES [--data HEX] [--pin-fixed] [--pin-tries N] [--template NAME | --input-file FILE.json]',
  options: {
    ...SERVER_OPTIONS,
    provider: { type: 'string' },
    name: { type: 'string' },
    type: { type: 'string' },
    area: { type: 'string', multiple: true },
    size: { type: 'string' },
    data: { type: 'string' },
    'pin-fixed': { type: 'boolean' },
    'pin-tries': { type: 'string' },
    template: { type: 'string' },
    'input-file': { type: 'string' },
  },
  async run({ values }, io) {
    const type = need(values.type, 'type');
    const areas = strs(values.area);
    if (areas.length === 0)
      throw new CliError(
        {
          en: '--area is required (local or extended)',
          ja: '--area（local または extended）を指定してください',
        },
        2,
      );
    let inputFile: unknown;
    const file = str(values['input-file']);
    if (file) {
      try {
        inputFile = JSON.parse(await readFile(file, 'utf8'));
      } catch (e) {
        throw new CliError({
          en: `cannot read ${file} as JSON: ${(e as Error).message}`,
          ja: `${file} をJSONとして読めません`,
        });
      }
    }
    const tries = int(values['pin-tries'], 'pin-tries');
    const withPin = values['pin-fixed'] === true || tries !== undefined;
    const body = valid(
      cardApRequestBody,
      {
        providerId: need(values.provider, 'provider'),
        name: need(values.name, 'name'),
        type,
        areas,
        size: int(values.size, 'size') ?? (type === 'C' ? 33 : 255),
        ...(str(values.data) ? { initialData: str(values.data) } : {}),
        ...(withPin ? { pin: { fixed: values['pin-fixed'] === true, tries: tries ?? 3 } } : {}),
        ...(str(values.template) ? { template: str(values.template) } : {}),
        ...(inputFile !== undefined ? { inputFile } : {}),
      },
      'body',
    );
    const ap = await api(values, (c) => c.call('requestCardAp', { body }));
    if (values.json) io.out(JSON.stringify(ap, null, 2));
    else
      io.out(
        t({
          en: `card AP ${ap.id} requested (type ${ap.type}); a platform operator approves it with \`myna ap approve ${ap.id}\``,
          ja: `カードAP ${ap.id}（タイプ${ap.type}）の登録を依頼しました。機構オペレーターが \`myna ap approve ${ap.id}\` で承認します`,
        }),
      );
    return 0;
  },
};

const approve: CliCommand = {
  path: ['ap', 'approve'],
  summary: {
    en: 'approve a card AP request: assigns its AID (platform operators)',
    ja: 'カードAPの依頼を承認しAIDを採番（機構オペレーター）',
  },
  usage: 'ID [--size BYTES] [--json]',
  options: { ...SERVER_OPTIONS, size: { type: 'string' } },
  positionals: true,
  async run({ values, positionals }, io) {
    const id = positionals[0];
    if (!id || positionals.length > 1)
      throw new CliError({ en: 'give one card AP ID', ja: 'カードAPのIDを1つ指定してください' }, 2);
    const size = int(values.size, 'size');
    const ap = await api(values, (c) =>
      c.call('approveCardAp', { params: { id }, body: size === undefined ? {} : { size } }),
    );
    if (values.json) io.out(JSON.stringify(ap, null, 2));
    else
      io.out(
        t({
          en: `card AP ${ap.id} approved: AID ${ap.aid}, ${ap.size} bytes, version ${ap.version}`,
          ja: `カードAP ${ap.id} を承認しました: AID ${ap.aid}、${ap.size} バイト、第${ap.version}版`,
        }),
      );
    return 0;
  },
};

const list: CliCommand = {
  path: ['ap', 'list'],
  summary: { en: 'list card APs in your scope', ja: 'カードAPの一覧' },
  usage: '[--provider ID] [--status requested|approved|rejected|suspended|retired] [--json]',
  options: { ...SERVER_OPTIONS, provider: { type: 'string' }, status: { type: 'string' } },
  async run({ values }, io) {
    const p = str(values.provider);
    const s = str(values.status);
    const query = valid(
      cardApsQuery,
      { ...(p ? { providerId: p } : {}), ...(s ? { status: s } : {}) },
      'query',
    );
    const rows = await api(values, (c) => c.call('listCardAps', { query }));
    if (values.json) io.out(JSON.stringify(rows, null, 2));
    else
      table(
        io.out,
        rows.map((r) => ({ ...r, pending: r.pendingRequest ? 'yes' : '' })),
        [
          'id',
          'providerId',
          'type',
          'status',
          'aid',
          'version',
          'size',
          'areas',
          'pending',
          'name',
        ],
      );
    return 0;
  },
};

const keys: CliCommand = {
  path: ['ap', 'keys'],
  summary: {
    en: 'download a card AP’s key package for your business systems (administrators; audited)',
    ja: 'カードAPの鍵パッケージを業務システム用に取得（管理者。監査ログに記録）',
  },
  usage: 'ID --out FILE',
  options: { ...SERVER_OPTIONS, out: { type: 'string' } },
  positionals: true,
  async run({ values, positionals }, io) {
    const id = positionals[0];
    if (!id || positionals.length > 1)
      throw new CliError({ en: 'give one card AP ID', ja: 'カードAPのIDを1つ指定してください' }, 2);
    const out = need(values.out, 'out');
    const pkg = await api(values, (c) => c.call('keyPackage', { params: { id } }));
    // The master keys of every card holding this card AP: readable by the owner only.
    try {
      await writeFile(out, JSON.stringify(pkg, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    } catch (e) {
      throw new CliError({
        en: `cannot write ${out}: ${(e as Error).message} (an existing file is never overwritten)`,
        ja: `${out} に書き込めません（既存のファイルは上書きしません）`,
      });
    }
    io.out(
      t({
        en: `key package of ${id} (type ${pkg.type}, AID ${pkg.aid}) written to ${out} (mode 0600): keep it like a password`,
        ja: `${id}（タイプ${pkg.type}、AID ${pkg.aid}）の鍵パッケージを ${out} に保存しました（0600）。パスワードと同様に管理してください`,
      }),
    );
    return 0;
  },
};

export const apCommands: readonly CliCommand[] = [request, approve, list, keys, carryOver];
