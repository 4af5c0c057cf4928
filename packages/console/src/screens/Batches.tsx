/**
 * Bulk loading (一括搭載): an administrator opens a batch at a terminal for chosen
 * card APs (e.g. staff cards for the employees of a company, their wishes
 * collected on forms beforehand), then loads card after card with one button and
 * sees the batch's progress — cards met, loaded, failed, unfinished — as a bar;
 * closes it when done. The batch lives on the server (GET /v1/batches/:id), this
 * screen remembers only its id while it is open; below it, the provider's past
 * batches (GET /v1/batches, newest first, a page at a time).
 */
import { useCallback, useEffect, useState } from 'react';
import { asApiError, get, post, type ApiError } from '../api.ts';
import { useLang } from '../i18n.ts';
import type { Batch, CardAp, CardOutcome, Me } from '../types.ts';
import { AddForm, ErrorBox, jst, ListTable, ResultPanel, useCardJob } from '../ui.tsx';
import { batchLine } from '../batchLine.ts';
import { useList } from './useList.ts';

/** The batch's loads by outcome, as one stacked bar with its legend. */
function BatchBar({ b }: { b: Batch }) {
  const { t } = useLang();
  const total = Math.max(b.loaded + b.failed + b.unfinished, 1);
  const pct = (n: number) => `${((100 * n) / total).toFixed(2)}%`;
  const label = t('batch.bar', {
    cards: b.cards,
    loaded: b.loaded,
    failed: b.failed,
    unfinished: b.unfinished,
  });
  return (
    <div className="area">
      <div className="bar" role="img" aria-label={label}>
        <span className="bar-yours" style={{ width: pct(b.loaded) }} />
        <span className="bar-failed" style={{ width: pct(b.failed) }} />
        <span className="bar-others" style={{ width: pct(b.unfinished) }} />
      </div>
      <p>{label}</p>
    </div>
  );
}

interface BatchPage {
  readonly batches: Batch[];
  readonly next: string | null;
}

/** The provider's batches, newest first: the first page, and more on request. */
function usePastBatches() {
  const [rows, setRows] = useState<Batch[]>();
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<ApiError>();
  const page = useCallback(async (before: string | null) => {
    try {
      const p = await get<BatchPage>(`/v1/batches${before ? `?before=${before}` : ''}`);
      setRows((r) => (before ? [...(r ?? []), ...p.batches] : p.batches));
      setNext(p.next);
      setError(undefined);
    } catch (e) {
      setError(asApiError(e));
    }
  }, []);
  const reload = useCallback(() => void page(null), [page]);
  useEffect(reload, [reload]);
  return { rows, error, reload, more: next ? () => void page(next) : undefined };
}

/** The past batches as a table, each with its status line. */
function PastBatches({
  past,
  name,
}: {
  past: ReturnType<typeof usePastBatches>;
  name: (id: string) => string;
}) {
  const { t, lang } = useLang();
  return (
    <div className="panel">
      <h3>{t('batch.past')}</h3>
      <p className="help">{t('batch.pastLead')}</p>
      <ErrorBox error={past.error} />
      <ListTable
        label={t('batch.past')}
        rows={past.rows}
        rowKey={(b) => b.id}
        columns={[
          { head: t('batch.openedAt'), cell: (b) => jst(b.createdAt, lang) },
          { head: t('batch.terminal'), cell: (b) => b.terminalId, className: 'mono' },
          { head: t('batch.what'), cell: (b) => batchLine(t, b, b.cardApIds.map(name)) },
          { head: 'ID', cell: (b) => b.id, className: 'mono' },
        ]}
      />
      {past.more && (
        <button type="button" onClick={past.more}>
          {t('batch.more')}
        </button>
      )}
    </div>
  );
}

export function Batches({ me }: { me: Me }) {
  const { t } = useLang();
  const aps = useList<CardAp>('/v1/card-aps');
  const loadable = (aps.rows ?? []).filter(
    (a) => a.providerId === me.providerId && a.status === 'approved',
  );
  const [terminal, setTerminal] = useState(me.terminals[0] ?? '');
  const [picked, setPicked] = useState<string[]>([]);
  const [note, setNote] = useState('');
  const [batch, setBatch] = useState<Batch>();
  const job = useCardJob<CardOutcome>();
  /** A refused close (the load's own failure is the job's). */
  const [error, setError] = useState<ApiError>();
  const name = (id: string) => aps.rows?.find((a) => a.id === id)?.name ?? id;
  const past = usePastBatches();

  async function open() {
    setBatch(
      await post<Batch>('/v1/batches', {
        terminalId: terminal,
        cardApIds: picked,
        ...(note ? { note } : {}),
      }),
    );
    job.clear();
    past.reload();
  }
  async function loadNext() {
    if (!batch) return;
    setError(undefined);
    const cardAps = batch.cardApIds.map((cardApId) => ({
      cardApId,
      area: aps.rows?.find((a) => a.id === cardApId)?.areas[0],
    }));
    await job.run(batch.terminalId, {
      op: 'load',
      cardAps,
      consent: { method: 'counter_form' },
      batchId: batch.id,
    });
    setBatch(await get<Batch>(`/v1/batches/${batch.id}`).catch(() => batch));
    past.reload();
  }
  async function close() {
    if (!batch) return;
    try {
      setBatch(await post<Batch>(`/v1/batches/${batch.id}/close`, { state: 'done' }));
      past.reload();
    } catch (e) {
      setError(asApiError(e));
    }
  }

  return (
    <section aria-labelledby="batch-h">
      <h2 id="batch-h">{t('batch.title')}</h2>
      <p>{t('batch.lead')}</p>
      <ErrorBox error={aps.error} />
      {(!batch || batch.state !== 'open') && (
        <AddForm
          title={t('batch.open')}
          submit={t('batch.openSubmit')}
          done={t('batch.opened')}
          onSubmit={open}
        >
          <label>
            {t('counter.terminal')}
            <select value={terminal} onChange={(e) => setTerminal(e.target.value)}>
              {me.terminals.map((id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ))}
            </select>
          </label>
          <fieldset>
            <legend>{t('counter.pickLoad')}</legend>
            {loadable.map((a) => (
              <label key={a.id} className="choice">
                <input
                  type="checkbox"
                  checked={picked.includes(a.id)}
                  onChange={() =>
                    setPicked((p) =>
                      p.includes(a.id) ? p.filter((x) => x !== a.id) : [...p, a.id],
                    )
                  }
                />
                {a.name}
              </label>
            ))}
          </fieldset>
          <label>
            {t('counter.note')}
            <input value={note} maxLength={500} onChange={(e) => setNote(e.target.value)} />
          </label>
          <p className="help">{t('batch.consentNote')}</p>
        </AddForm>
      )}
      {batch && (
        <div className="panel">
          <h3>{t('batch.current', { id: batch.id })}</h3>
          <p className="batch-line">{batchLine(t, batch, batch.cardApIds.map(name))}</p>
          <BatchBar b={batch} />
          {batch.state === 'open' && (
            <>
              <p className="big">{t('batch.place')}</p>
              <div className="buttons">
                <button
                  type="button"
                  className="primary"
                  disabled={job.progress !== undefined}
                  onClick={loadNext}
                >
                  {t('batch.loadNext')}
                </button>
                <button type="button" disabled={job.progress !== undefined} onClick={close}>
                  {t('batch.close')}
                </button>
              </div>
            </>
          )}
          <ResultPanel job={job} busy="counter.running" results={job.result?.results} name={name} />
          <ErrorBox error={error} />
        </div>
      )}
      <PastBatches past={past} name={name} />
    </section>
  );
}
