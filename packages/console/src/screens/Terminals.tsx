/**
 * Loading terminals (搭載端末): the list with each one's auto-load preset, and for
 * an administrator (and the platform, for the provider it picks): register a
 * terminal, and the terminal agents (端末エージェント,
 * `myna terminal enrol` on the counter PC) — approve an enrolment by the code the
 * agent printed, revoke an agent (its connection is cut at once).
 */
import { useState } from 'react';
import { asApiError, post } from '../api.ts';
import { useLang } from '../i18n.ts';
import type { CardAp, Me, Provider, Terminal, TerminalAgentView } from '../types.ts';
import {
  AddForm,
  ErrorBox,
  jst,
  ListScreen,
  ListTable,
  ProviderSelect,
  type Column,
} from '../ui.tsx';
import { useList } from './useList.ts';

/** An administrator's view of the agents: waiting codes first, then the rest. */
function Agents() {
  const { t, lang } = useLang();
  const { rows, error, reload, setError } = useList<TerminalAgentView>(
    '/v1/console/terminal-agents',
  );
  const [code, setCode] = useState('');
  const waiting = (rows ?? []).filter((a) => a.state === 'pending');

  async function approve() {
    await post('/terminal/approve', { code: code.trim().toUpperCase() });
    setCode('');
    reload();
  }
  async function revoke(a: TerminalAgentView) {
    if (!confirm(t('agents.revokeConfirm', { terminal: a.terminalId }))) return;
    try {
      await post(`/terminal/agents/${encodeURIComponent(a.id)}/revoke`, {});
      reload();
    } catch (e) {
      setError(asApiError(e));
    }
  }
  const columns: Column<TerminalAgentView>[] = [
    { head: t('terminals.id'), cell: (a) => a.terminalId, className: 'mono' },
    {
      head: t('operators.status'),
      cell: (a) => <span className={`tag tag-${a.state}`}>{t(`agents.${a.state}`)}</span>,
    },
    { head: t('agents.id'), cell: (a) => a.id, className: 'mono' },
    { head: t('agents.enrolled'), cell: (a) => jst(a.createdAt, lang) },
    {
      head: t('cardAps.actions'),
      cell: (a) =>
        a.state !== 'revoked' && (
          <button type="button" onClick={() => revoke(a)}>
            {t(a.state === 'pending' ? 'agents.refuse' : 'agents.revoke')}
          </button>
        ),
    },
  ];
  return (
    <>
      <AddForm
        title={t('agents.title')}
        submit={t('agents.approve')}
        done={t('agents.approvedDone')}
        onSubmit={approve}
      >
        <p>{t('agents.lead')}</p>
        <label>
          {t('agents.code')}
          <input
            required
            autoComplete="off"
            placeholder="ABCD-EFGH"
            pattern="[A-Za-z0-9]{4}-?[A-Za-z0-9]{4}"
            value={code}
            onChange={(e) => setCode(e.target.value)}
          />
        </label>
      </AddForm>
      <section className="panel" aria-labelledby="agents-h">
        <h3 id="agents-h">{t('agents.list')}</h3>
        <p role="status">{t('agents.waiting', { n: waiting.length })}</p>
        <ErrorBox error={error} />
        <ListTable label={t('agents.list')} rows={rows} columns={columns} rowKey={(a) => a.id} />
      </section>
    </>
  );
}

export function Terminals({ me }: { me: Me }) {
  const { t } = useLang();
  const { rows, error, reload } = useList<Terminal>('/v1/terminals');
  const aps = useList<CardAp>('/v1/card-aps');
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const apName = (x: string) => aps.rows?.find((a) => a.id === x)?.name ?? x;
  const admin = me.role === 'administrator' || me.role === 'platform';

  // The platform registers a terminal for a provider it picks (a new provider's first).
  const providers = useList<Provider>(me.role === 'platform' ? '/v1/providers' : undefined);
  const [forProvider, setForProvider] = useState('');
  const providerId = me.providerId ?? (forProvider || providers.rows?.[0]?.id);

  async function add() {
    await post('/v1/terminals', { id, name, providerId });
    setId('');
    setName('');
    reload();
  }
  const columns: Column<Terminal>[] = [
    { head: t('terminals.id'), cell: (x) => x.id, className: 'mono' },
    { head: t('terminals.name'), cell: (x) => x.name },
    { head: t('cardAps.provider'), cell: (x) => x.providerId },
    { head: t('operators.status'), cell: (x) => t(`status.${x.status}`) },
    {
      head: t('terminals.autoLoad'),
      cell: (x) =>
        x.autoLoad.length === 0
          ? '—'
          : x.autoLoad
              .map(
                (a) => apName(a.cardApId) + (a.area ? t('paren', { x: t(`area.${a.area}`) }) : ''),
              )
              .join(t('sep')),
    },
  ];
  return (
    <ListScreen
      id="terms"
      title={t('terminals.title')}
      error={error}
      rows={rows}
      columns={columns}
      rowKey={(x) => x.id}
    >
      {admin && (
        <AddForm
          title={t('terminals.add')}
          submit={t('terminals.submit')}
          done={t('terminals.done')}
          onSubmit={add}
        >
          {me.role === 'platform' && (
            <ProviderSelect
              rows={providers.rows}
              value={providerId ?? ''}
              onChange={setForProvider}
            />
          )}
          <label>
            {t('terminals.id')}
            <input
              required
              pattern="[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}"
              value={id}
              onChange={(e) => setId(e.target.value)}
            />
          </label>
          <label>
            {t('terminals.name')}
            <input required value={name} onChange={(e) => setName(e.target.value)} />
          </label>
        </AddForm>
      )}
      {admin && <Agents />}
    </ListScreen>
  );
}
