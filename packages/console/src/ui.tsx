/**
 * Small shared pieces: the API failure box, job polling and a card job's state and
 * result panel, the area bar, the list screens' table and form.
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, asApiError, get, post } from './api.ts';
import { useLang } from './i18n.ts';
import type { AreaReport, ItemResult, Job, Provider } from './types.ts';

/** What the operator should do next for a failure code (the API's own text says what happened). */
function adviceKey(code: string): string {
  if (['CARD_REMOVED', 'NO_CARD', 'CHANNEL_CLOSED'].includes(code)) return 'CARD_REMOVED';
  if (['INTERRUPTED', 'CARD_CHANNEL_BROKEN', 'SERVER_UNREACHABLE'].includes(code))
    return 'INTERRUPTED';
  if (['CARD_NOT_ACTIVE', 'CARD_SUSPENDED', 'CARD_LOST'].includes(code)) return 'CARD_NOT_ACTIVE';
  if (
    [
      'PIN_LOCKED',
      'AREA_FULL',
      'OUTSIDE_SERVICE_HOURS',
      'CARD_REVOKED',
      'TERMINAL_OFFLINE',
      'MOVE_IN_NOT_THIS_MUNICIPALITY',
      'MOVE_IN_SAME_MUNICIPALITY',
    ].includes(code)
  )
    return code;
  return 'generic';
}

export function ErrorBox({ error }: { error: ApiError | undefined }) {
  const { t, say } = useLang();
  if (!error) return null;
  const d = error.detail ?? {};
  return (
    <div className="error" role="alert">
      <p className="error-what">{say(error.text)}</p>
      <p className="error-next">
        {t(`advice.${adviceKey(error.code)}`, { free: d.free ?? '?', needed: d.needed ?? '?' })}
      </p>
      <p className="error-code">
        <code>{error.code}</code>
      </p>
    </div>
  );
}

export function Busy({ text }: { text: string }) {
  return (
    <p className="busy" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {text}
    </p>
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long the console waits for the terminal's relay to take a job. */
const PICKUP_MS = 15_000;

/**
 * Starts a card job, hands it to the terminal's relay and follows it to its end
 * (`onProgress` gets each state). A failed job becomes an ApiError.
 */
export async function runCardJob<R>(
  terminalId: string,
  body: Record<string, unknown>,
  onProgress: (j: Job) => void,
): Promise<R> {
  let j = await post<Job>('/v1/jobs', { ...body, terminalId });
  onProgress(j);
  if (j.state === 'running')
    await post(`/v1/terminals/${encodeURIComponent(terminalId)}/handoff`, { jobId: j.id });
  const started = Date.now();
  while (j.state === 'running') {
    await sleep(250);
    j = await get<Job>(`/v1/jobs/${j.id}`);
    onProgress(j);
    if (j.state === 'running' && j.apdus <= 1 && Date.now() - started > PICKUP_MS) {
      await post(`/v1/jobs/${j.id}/cancel`);
      throw new ApiError(
        'TERMINAL_OFFLINE',
        {
          en: 'The terminal did not take the card job.',
          ja: '端末がカード操作を受け付けませんでした。',
        },
        0,
      );
    }
  }
  if (j.state === 'failed') {
    const e = j.error ?? { code: 'FAILED', message: { en: 'failed', ja: '失敗しました' } };
    throw new ApiError(e.code, e.message, 0, e.detail);
  }
  return j.result as R;
}

/** A card job started from a screen: the APDUs so far while it runs, its answer or its failure. */
export interface CardJobState<R> {
  /** Commands the card has answered so far; undefined when nothing runs. */
  readonly progress: number | undefined;
  readonly result: R | undefined;
  readonly error: ApiError | undefined;
  /**
   * Runs one job at the terminal (`onJob` sees each state of it); resolves to its
   * answer, or undefined when it failed.
   */
  run(
    terminal: string,
    body: Record<string, unknown>,
    onJob?: (j: Job) => void,
  ): Promise<R | undefined>;
  /** Forgets the last answer and failure (the next holder). */
  clear(): void;
}

export function useCardJob<R>(): CardJobState<R> {
  const [progress, setProgress] = useState<number>();
  const [result, setResult] = useState<R>();
  const [error, setError] = useState<ApiError>();
  async function run(terminal: string, body: Record<string, unknown>, onJob?: (j: Job) => void) {
    setError(undefined);
    setResult(undefined);
    setProgress(0);
    try {
      const r = await runCardJob<R>(terminal, body, (j) => {
        setProgress(j.apdus);
        onJob?.(j);
      });
      setResult(r);
      return r;
    } catch (e) {
      setError(asApiError(e));
      return undefined;
    } finally {
      setProgress(undefined);
    }
  }
  function clear() {
    setResult(undefined);
    setError(undefined);
  }
  return { progress, result, error, run, clear };
}

/**
 * What every card-job screen shows under its button (counter, batches, card work,
 * diagnose): a spinner with the card's answers so far while the job runs, its
 * failure with what to do next, and — for a load or delete — each card AP's line,
 * 「名前（領域）：結果」 with the reason of a refusal; then what the screen adds.
 */
export function ResultPanel({
  job,
  busy,
  results,
  name,
  children,
}: {
  job: Pick<CardJobState<unknown>, 'progress' | 'error'>;
  /** The spinner's message key, given `n`: the card's answers so far. */
  busy: 'counter.reading' | 'counter.running';
  results?: readonly ItemResult[] | undefined;
  /** A card AP's name, for result lines that carry only its id. */
  name?: (cardApId: string) => string;
  children?: ReactNode;
}) {
  const { t } = useLang();
  return (
    <>
      {job.progress !== undefined && <Busy text={t(busy, { n: job.progress })} />}
      <ErrorBox error={job.error} />
      {results && results.length > 0 && (
        <ul className="results">
          {results.map((r) => (
            <li key={r.cardApId} className={r.status === 'refused' ? 'refused' : 'ok'}>
              <strong>{'name' in r ? r.name : (name?.(r.cardApId) ?? r.cardApId)}</strong>
              {r.area ? t('paren', { x: t(`area.${r.area}`) }) : ''}
              {t('colon')}
              {t(`counter.${r.status}`)}
              {r.error && (
                <ErrorBox error={new ApiError(r.error.code, r.error.message, 0, r.error.detail)} />
              )}
            </li>
          ))}
        </ul>
      )}
      {children}
    </>
  );
}

/** Bytes used in an area by our card APs, by others', and free; as a stacked bar. */
export function AreaBar({ report }: { report: AreaReport }) {
  const { t } = useTranslation();
  const name = t(`area.${report.area}`);
  if (report.total === null || report.free === null || report.used === null) {
    return (
      <div className="area">
        <h4>{name}</h4>
        <p>{t('counter.unreadable')}</p>
      </div>
    );
  }
  const total = Math.max(report.total, 1);
  const yours = report.yours.reduce((n, a) => n + a.size, 0);
  const ours = Math.min(yours, report.used);
  const others = Math.max(report.used - ours, 0);
  const pct = (n: number) => `${((100 * n) / total).toFixed(2)}%`;
  const label = t('counter.barOf', { total: report.total, free: report.free });
  return (
    <div className="area">
      <h4>{name}</h4>
      <div className="bar" role="img" aria-label={`${name}: ${label}`}>
        <span className="bar-yours" style={{ width: pct(ours) }} />
        <span className="bar-others" style={{ width: pct(others) }} />
        <span className="bar-free" style={{ width: pct(report.free) }} />
      </div>
      <ul className="legend">
        <li>
          <span className="swatch bar-yours" aria-hidden="true" />
          {t('counter.barYours', { n: ours })}
        </li>
        <li>
          <span className="swatch bar-others" aria-hidden="true" />
          {t('counter.barOthers', { n: others })}
        </li>
        <li>
          <span className="swatch bar-free" aria-hidden="true" />
          {t('counter.barFree', { n: report.free })}
        </li>
      </ul>
    </div>
  );
}

/** A date and time in Japan time, as the counter reads it. */
export function jst(iso: string, lang: 'ja' | 'en'): string {
  return new Date(iso).toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-GB', {
    timeZone: 'Asia/Tokyo',
    dateStyle: 'medium',
    timeStyle: 'short',
  });
}

/** One column of a ListTable: its heading and how a row fills its cell. */
export interface Column<T> {
  readonly head: string;
  readonly cell: (row: T) => ReactNode;
  /** `num` (right-aligned figures) or `mono` (ids, codes). */
  readonly className?: string;
}

/**
 * A list as a table that scrolls sideways on a narrow screen (a keyboard can
 * reach it: tabIndex), with a line when there is nothing to show.
 */
export function ListTable<T>({
  label,
  rows,
  columns,
  rowKey,
}: {
  label: string;
  rows: readonly T[] | undefined;
  columns: readonly Column<T>[];
  rowKey: (row: T) => string | number;
}) {
  const { t } = useLang();
  if (rows === undefined) return <Busy text={t('busy')} />;
  if (rows.length === 0) return <p className="empty">{t('none')}</p>;
  return (
    <div className="scroll" tabIndex={0} role="region" aria-label={label}>
      <table>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.head} scope="col">
                {c.head}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={rowKey(r)}>
              {columns.map((c) => (
                <td key={c.head} className={c.className}>
                  {c.cell(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A form that adds or changes something: `onSubmit` does the call (and clears its
 * fields); a refusal is shown here with what to do, success with `done`.
 */
export function AddForm({
  title,
  submit,
  done,
  onSubmit,
  children,
}: {
  title: string;
  submit: string;
  /** The line shown after success (may depend on the answer). */
  done: string | ((answer: unknown) => ReactNode);
  onSubmit: () => Promise<unknown>;
  children: ReactNode;
}) {
  const [answer, setAnswer] = useState<{ v: unknown }>();
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  async function go(e: FormEvent) {
    e.preventDefault();
    setAnswer(undefined);
    setError(undefined);
    setBusy(true);
    try {
      setAnswer({ v: await onSubmit() });
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="panel" onSubmit={go}>
      <h3>{title}</h3>
      {children}
      <button type="submit" className="primary" disabled={busy}>
        {submit}
      </button>
      {answer && (
        <div role="status" className="done">
          {typeof done === 'string' ? done : done(answer.v)}
        </div>
      )}
      <ErrorBox error={error} />
    </form>
  );
}

/** The platform's choice of provider in a registration form (a provider's own operators have one). */
export function ProviderSelect({
  rows,
  value,
  onChange,
}: {
  rows: readonly Provider[] | undefined;
  value: string;
  onChange: (id: string) => void;
}) {
  const { t } = useLang();
  return (
    <label>
      {t('cardAps.provider')}
      <select required value={value} onChange={(e) => onChange(e.target.value)}>
        {(rows ?? []).map((p) => (
          <option key={p.id} value={p.id}>
            {p.name} — {p.id}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * The shape of the registry screens (card APs, operators, terminals…): a heading,
 * the list's failure, the list, and the forms the operator's role may use.
 */
export function ListScreen<T>({
  id,
  title,
  error,
  children,
  ...table
}: {
  id: string;
  title: string;
  error: ApiError | undefined;
  rows: readonly T[] | undefined;
  columns: readonly Column<T>[];
  rowKey: (row: T) => string | number;
  /** Forms and panels below the list. */
  children?: ReactNode;
}) {
  return (
    <section aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{title}</h2>
      <ErrorBox error={error} />
      <ListTable label={title} {...table} />
      {children}
    </section>
  );
}
