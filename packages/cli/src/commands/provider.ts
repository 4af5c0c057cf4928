/** `myna provider add|list|show`: service providers (サービス提供者). */
import { CliError, type CliCommand } from '../command.ts';
import { t } from '../i18n.ts';
import { newProviderBody } from '@myna-ap/loader/contract';
import { SERVER_OPTIONS, api, need, str, table, valid } from './serve.ts';

/** The legal basis a kind needs, so `--basis` can usually be left out. */
const BASIS: Readonly<Record<string, string>> = {
  national: 'notice',
  agency: 'notice',
  prefecture: 'ordinance',
  municipality: 'ordinance',
  private: 'conformity',
};

const add: CliCommand = {
  path: ['provider', 'add'],
  summary: {
    en: 'register a service provider (platform operators)',
    ja: 'サービス提供者を登録（機構オペレーター）',
  },
  usage:
    '--id ID --name NAME --kind national|prefecture|municipality|agency|private [--municipality-code NNNNNN] [--prefecture-code NN] [--basis ordinance|notice|conformity] --basis-ref TEXT --basis-date YYYY-MM-DD --contact NAME [--email E] [--phone P] [--representative ID]',
  options: {
    ...SERVER_OPTIONS,
    id: { type: 'string' },
    name: { type: 'string' },
    kind: { type: 'string' },
    'municipality-code': { type: 'string' },
    'prefecture-code': { type: 'string' },
    basis: { type: 'string' },
    'basis-ref': { type: 'string' },
    'basis-date': { type: 'string' },
    contact: { type: 'string' },
    email: { type: 'string' },
    phone: { type: 'string' },
    representative: { type: 'string' },
  },
  async run({ values }, io) {
    const kind = need(values.kind, 'kind');
    const basis = str(values.basis) ?? BASIS[kind];
    if (!basis) {
      throw new CliError({ en: `unknown --kind ${kind}`, ja: `--kind ${kind} は不明です` }, 2);
    }
    const body = valid(
      newProviderBody,
      {
        id: need(values.id, 'id'),
        name: need(values.name, 'name'),
        kind,
        ...(str(values['municipality-code'])
          ? { municipalityCode: str(values['municipality-code']) }
          : {}),
        ...(str(values['prefecture-code'])
          ? { prefectureCode: str(values['prefecture-code']) }
          : {}),
        legalBasis: {
          kind: basis,
          reference: need(values['basis-ref'], 'basis-ref'),
          date: need(values['basis-date'], 'basis-date'),
        },
        contact: {
          name: need(values.contact, 'contact'),
          ...(str(values.email) ? { email: str(values.email) } : {}),
          ...(str(values.phone) ? { phone: str(values.phone) } : {}),
        },
        ...(str(values.representative) ? { representativeId: str(values.representative) } : {}),
      },
      'body',
    );
    const p = await api(values, (c) => c.call('createProvider', { body }));
    if (values.json) io.out(JSON.stringify(p, null, 2));
    else
      io.out(
        t({
          en: `provider ${p.id} registered; AID range ${p.aidRange.prefix}00–${p.aidRange.prefix}FF`,
          ja: `サービス提供者 ${p.id} を登録しました。AID範囲 ${p.aidRange.prefix}00〜${p.aidRange.prefix}FF`,
        }),
      );
    return 0;
  },
};

const list: CliCommand = {
  path: ['provider', 'list'],
  summary: { en: 'list service providers in your scope', ja: 'サービス提供者の一覧' },
  usage: '[--json]',
  options: { ...SERVER_OPTIONS },
  async run({ values }, io) {
    const rows = await api(values, (c) => c.call('listProviders'));
    if (values.json) io.out(JSON.stringify(rows, null, 2));
    else
      table(
        io.out,
        rows.map((p) => ({
          ...p,
          code: p.municipalityCode ?? p.prefectureCode,
          aidPrefix: p.aidRange.prefix,
        })),
        ['id', 'kind', 'code', 'status', 'canLoad', 'representativeId', 'aidPrefix', 'name'],
      );
    return 0;
  },
};

const show: CliCommand = {
  path: ['provider', 'show'],
  summary: { en: 'show one service provider', ja: 'サービス提供者の詳細' },
  usage: 'ID [--json]',
  options: { ...SERVER_OPTIONS },
  positionals: true,
  async run({ values, positionals }, io) {
    const id = positionals[0];
    if (!id || positionals.length > 1)
      throw new CliError(
        { en: 'give one provider ID', ja: 'サービス提供者IDを1つ指定してください' },
        2,
      );
    const p = await api(values, (c) => c.call('getProvider', { params: { id } }));
    if (values.json) {
      io.out(JSON.stringify(p, null, 2));
      return 0;
    }
    io.out(`${p.id}  ${p.name}`);
    io.out(
      `  kind:           ${p.kind}${p.municipalityCode ? ` (${p.municipalityCode})` : ''}${p.prefectureCode ? ` (${p.prefectureCode})` : ''}`,
    );
    io.out(
      `  status:         ${p.status}${p.canLoad ? '' : ' (partner store: uses, does not load)'}`,
    );
    if (p.representativeId) io.out(`  representative: ${p.representativeId}`);
    io.out(
      `  legal basis:    ${p.legalBasis.kind} ${p.legalBasis.reference} (${p.legalBasis.date})`,
    );
    io.out(
      `  contact:        ${[p.contact.name, p.contact.email, p.contact.phone].filter(Boolean).join(', ')}`,
    );
    io.out(
      `  AID range:      ${p.aidRange.prefix}00–FF (${p.aidRange.used}/${p.aidRange.size} used)`,
    );
    return 0;
  },
};

export const providerCommands: readonly CliCommand[] = [add, list, show];
