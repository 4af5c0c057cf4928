/**
 * The counter flow (窓口): choose the terminal → read the card (a diagnose job:
 * serial, municipality, expiry, status, our card APs, free space) → pick card APs
 * to load or delete → record the holder's wish (本人の希望) → run → result and a
 * printable receipt (受付票).
 */
import { useEffect, useState, type FormEvent } from 'react';
import { asApiError, get, type ApiError } from '../api.ts';
import { useLang } from '../i18n.ts';
import type { Area, CardAp, CardOutcome, DiagnoseReport, Me, Terminal } from '../types.ts';
import { AreaBar, ErrorBox, jst, ResultPanel, useCardJob } from '../ui.tsx';

type Step = 1 | 2 | 3 | 4 | 5;

/**
 * A terminal as the picker shows it: its name, then its id when the name does not
 * already say it (names often carry a parenthesis of their own, 「デモ窓口 (demo counter)」).
 */
export function terminalLabel(name: string, id: string): string {
  return name === id || name.includes(id) ? name : `${name} — ${id}`;
}
type Method = 'counter_form' | 'counter_signature' | 'online';
const METHODS: readonly Method[] = ['counter_form', 'counter_signature', 'online'];

interface Receipt {
  no: string;
  at: string;
  terminal: string;
  operator: string;
  action: 'load' | 'delete';
  outcome: CardOutcome;
}

function Steps({ step }: { step: Step }) {
  const { t } = useLang();
  return (
    <ol className="steps" aria-label={t('counter.steps')}>
      {([1, 2, 3, 4, 5] as const).map((n) => (
        <li
          key={n}
          className={n === step ? 'now' : n < step ? 'done' : ''}
          aria-current={n === step ? 'step' : undefined}
        >
          <span className="n">{n}</span> {t(`counter.step${n}`)}
        </li>
      ))}
    </ol>
  );
}

function CardFacts({ r }: { r: DiagnoseReport }) {
  const { t } = useLang();
  return (
    <dl className="facts">
      <dt>{t('counter.serial')}</dt>
      <dd className="mono">{r.cardId ?? t('counter.unreadable')}</dd>
      <dt>{t('counter.municipality')}</dt>
      <dd className="mono">{r.municipalityCode ?? t('counter.unreadable')}</dd>
      <dt>{t('counter.expiry')}</dt>
      <dd>{r.expiry ?? t('counter.unreadable')}</dd>
      <dt>{t('counter.cardStatus')}</dt>
      <dd>{t(`status.${r.status ?? 'unknown'}`)}</dd>
    </dl>
  );
}

export function Counter({ me }: { me: Me }) {
  const { t, lang } = useLang();
  const [terminals, setTerminals] = useState<Terminal[]>([]);
  const [aps, setAps] = useState<CardAp[]>([]);
  const [terminal, setTerminal] = useState(me.terminals[0] ?? '');
  const [step, setStep] = useState<Step>(1);
  const [report, setReport] = useState<DiagnoseReport>();
  const [action, setAction] = useState<'load' | 'delete'>('load');
  const [picked, setPicked] = useState<Record<string, Area>>({});
  const [method, setMethod] = useState<Method>('counter_form');
  const [note, setNote] = useState('');
  const [confirmed, setConfirmed] = useState(false);
  const read = useCardJob<DiagnoseReport>();
  const work = useCardJob<CardOutcome>();
  /** Either job is running. */
  const progress = read.progress ?? work.progress;
  const [receipt, setReceipt] = useState<Receipt>();
  /** The terminals' and card APs' lists could not be read. */
  const [error, setError] = useState<ApiError>();

  useEffect(() => {
    get<Terminal[]>('/v1/terminals').then(setTerminals, (e) => setError(asApiError(e)));
    get<CardAp[]>('/v1/card-aps').then(setAps, (e) => setError(asApiError(e)));
  }, []);

  const mine = me.terminals.filter(
    (id) => terminals.length === 0 || terminals.some((x) => x.id === id),
  );
  const nameOf = (id: string) => terminals.find((x) => x.id === id)?.name ?? id;
  const byAid = new Map(aps.filter((a) => a.aid).map((a) => [a.aid as string, a]));
  const onCard = (report?.areas ?? []).flatMap((a) =>
    a.yours.map((y) => ({ ...y, area: a.area, ap: byAid.get(y.aid) })),
  );
  const loadable = aps.filter(
    (a) =>
      a.status === 'approved' &&
      a.providerId === me.providerId &&
      !onCard.some((c) => c.aid === a.aid),
  );
  const deletable = onCard.filter((c) => c.ap);

  function reset() {
    setStep(1);
    setReport(undefined);
    setPicked({});
    setConfirmed(false);
    setNote('');
    setReceipt(undefined);
    read.clear();
    work.clear();
  }

  async function readCard() {
    const r = await read.run(terminal, { op: 'diagnose' });
    if (!r) return;
    setReport(r);
    setPicked({});
    setStep(3);
  }

  async function run(e: FormEvent) {
    e.preventDefault();
    const consent = { method, ...(note ? { note } : {}) };
    const body =
      action === 'load'
        ? {
            op: 'load',
            cardAps: Object.entries(picked).map(([cardApId, area]) => ({ cardApId, area })),
            consent,
          }
        : { op: 'delete', cardApIds: Object.keys(picked), consent };
    let jobId = '';
    const outcome = await work.run(terminal, body, (j) => (jobId = j.id));
    if (!outcome) return;
    setReceipt({
      no: jobId,
      at: new Date().toISOString(),
      terminal: nameOf(terminal),
      operator: me.login,
      action,
      outcome,
    });
    setStep(5);
  }

  const toggle = (id: string, area: Area | undefined) =>
    setPicked((p) => {
      const n = { ...p };
      if (n[id]) delete n[id];
      else if (area) n[id] = area;
      return n;
    });
  const apName = (id: string) => aps.find((a) => a.id === id)?.name ?? id;
  const pickedNames = Object.keys(picked).map(apName);
  const actionWord = t(action === 'load' ? 'counter.loadNoun' : 'counter.deleteNoun');

  return (
    <section aria-labelledby="counter-h">
      <h2 id="counter-h">{t('counter.title')}</h2>
      <Steps step={step} />

      {step <= 2 && (
        <div className="panel">
          {mine.length === 0 ? (
            <p>{t('counter.noTerminal')}</p>
          ) : (
            <>
              <label>
                {t('counter.terminal')}
                <select value={terminal} onChange={(e) => setTerminal(e.target.value)}>
                  {mine.map((id) => (
                    <option key={id} value={id}>
                      {terminalLabel(nameOf(id), id)}
                    </option>
                  ))}
                </select>
              </label>
              <p className="big">{t('counter.place')}</p>
              <button
                type="button"
                className="primary"
                disabled={progress !== undefined || !terminal}
                onClick={() => {
                  setStep(2);
                  void readCard();
                }}
              >
                {t('counter.read')}
              </button>
            </>
          )}
          <ResultPanel job={read} busy="counter.reading" />
        </div>
      )}

      {report && step >= 3 && step <= 4 && (
        <div className="panel">
          <h3>{t('counter.card')}</h3>
          <CardFacts r={report} />
          <h3>{t('counter.onCard')}</h3>
          {onCard.length === 0 ? (
            <p>{t('none')}</p>
          ) : (
            <ul className="plain">
              {onCard.map((c) => (
                <li key={c.aid}>
                  {c.ap?.name ?? c.aid} — {t(`area.${c.area}`)}{' '}
                  <span className="mono">{c.aid}</span>
                </li>
              ))}
            </ul>
          )}
          <h3>{t('counter.space')}</h3>
          <div className="areas">
            {report.areas.map((a) => (
              <AreaBar key={a.area} report={a} />
            ))}
          </div>
        </div>
      )}

      {report && step === 3 && (
        <div className="panel">
          <fieldset>
            <legend>{t('counter.action')}</legend>
            {(['load', 'delete'] as const).map((a) => (
              <label key={a} className="choice">
                <input
                  type="radio"
                  name="action"
                  value={a}
                  checked={action === a}
                  onChange={() => {
                    setAction(a);
                    setPicked({});
                  }}
                />
                {t(a === 'load' ? 'counter.doLoad' : 'counter.doDelete')}
              </label>
            ))}
          </fieldset>
          {action === 'load' ? (
            <fieldset>
              <legend>{t('counter.pickLoad')}</legend>
              {loadable.length === 0 && <p>{t('counter.nothingToLoad')}</p>}
              {loadable.map((a) => (
                <div key={a.id} className="pick">
                  <label className="choice">
                    <input
                      type="checkbox"
                      checked={picked[a.id] !== undefined}
                      onChange={() => toggle(a.id, a.areas[0])}
                    />
                    {a.name}
                    {t('paren', { x: `${t('cardAps.type')} ${a.type}${t('sep')}${a.size} B` })}
                  </label>
                  {a.areas.length > 1 && picked[a.id] && (
                    <label>
                      {t('counter.inArea')}
                      <select
                        value={picked[a.id]}
                        onChange={(e) => setPicked({ ...picked, [a.id]: e.target.value as Area })}
                      >
                        {a.areas.map((ar) => (
                          <option key={ar} value={ar}>
                            {t(`area.${ar}`)}
                          </option>
                        ))}
                      </select>
                    </label>
                  )}
                  {a.areas.length === 1 && <span className="hint">{t(`area.${a.areas[0]}`)}</span>}
                </div>
              ))}
            </fieldset>
          ) : (
            <fieldset>
              <legend>{t('counter.pickDelete')}</legend>
              {deletable.length === 0 && <p>{t('counter.nothingToDelete')}</p>}
              {deletable.map((c) => (
                <label key={c.aid} className="choice">
                  <input
                    type="checkbox"
                    checked={picked[c.ap!.id] !== undefined}
                    onChange={() => toggle(c.ap!.id, c.area)}
                  />
                  {c.ap!.name} — {t(`area.${c.area}`)}
                </label>
              ))}
            </fieldset>
          )}
          <div className="buttons">
            <button type="button" onClick={reset}>
              {t('counter.back')}
            </button>
            <button
              type="button"
              className="primary"
              disabled={Object.keys(picked).length === 0}
              onClick={() => setStep(4)}
            >
              {t('counter.next')}
            </button>
          </div>
        </div>
      )}

      {step === 4 && (
        <form className="panel" onSubmit={run}>
          <h3>{t('counter.consentTitle')}</h3>
          <p>{t('counter.consentLead')}</p>
          <p className="big">
            {actionWord}
            {t('colon')}
            {pickedNames.join(t('sep'))}
          </p>
          <fieldset>
            <legend>{t('counter.method')}</legend>
            {METHODS.map((m) => (
              <label key={m} className="choice">
                <input
                  type="radio"
                  name="method"
                  value={m}
                  checked={method === m}
                  onChange={() => setMethod(m)}
                />
                {t(`counter.${m}`)}
              </label>
            ))}
          </fieldset>
          <label>
            {t('counter.note')}
            <input value={note} maxLength={500} onChange={(e) => setNote(e.target.value)} />
          </label>
          <label className="choice confirm">
            <input
              type="checkbox"
              checked={confirmed}
              onChange={(e) => setConfirmed(e.target.checked)}
            />
            {t('counter.confirm')}
          </label>
          <div className="buttons">
            <button type="button" onClick={() => setStep(3)} disabled={progress !== undefined}>
              {t('counter.back')}
            </button>
            <button
              type="submit"
              className="primary"
              disabled={!confirmed || progress !== undefined}
            >
              {t('counter.run', { action: actionWord })}
            </button>
          </div>
          <ResultPanel job={work} busy="counter.running" />
        </form>
      )}

      <ErrorBox error={error} />
      {work.error && step === 4 && (
        <button type="button" onClick={reset}>
          {t('counter.again')}
        </button>
      )}

      {step === 5 && receipt && (
        <div className="panel">
          <h3>{t('counter.result')}</h3>
          <ResultPanel
            job={work}
            busy="counter.running"
            results={receipt.outcome.results}
            name={apName}
          />
          <section className="receipt" aria-labelledby="receipt-h">
            <h3 id="receipt-h">{t('counter.receiptFor')}</h3>
            <dl className="facts">
              <dt>{t('counter.receiptNo')}</dt>
              <dd className="mono">{receipt.no}</dd>
              <dt>{t('counter.receiptAt')}</dt>
              <dd>{jst(receipt.at, lang)}</dd>
              <dt>{t('counter.receiptTerminal')}</dt>
              <dd>{receipt.terminal}</dd>
              <dt>{t('counter.receiptOperator')}</dt>
              <dd>{receipt.operator}</dd>
              <dt>{t('counter.serial')}</dt>
              <dd className="mono">{receipt.outcome.cardId}</dd>
            </dl>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('cardAps.name')}</th>
                  <th scope="col">{t('counter.inArea')}</th>
                  <th scope="col">{t('counter.action')}</th>
                  <th scope="col">{t('counter.result')}</th>
                </tr>
              </thead>
              <tbody>
                {receipt.outcome.results.map((r) => (
                  <tr key={r.cardApId}>
                    <td>{'name' in r ? r.name : apName(r.cardApId)}</td>
                    <td>{r.area ? t(`area.${r.area}`) : '—'}</td>
                    <td>
                      {t(receipt.action === 'load' ? 'counter.loadNoun' : 'counter.deleteNoun')}
                    </td>
                    <td>{t(`counter.${r.status}`)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p>{t('counter.receiptNote')}</p>
          </section>
          <div className="buttons no-print">
            <button type="button" className="primary" onClick={() => print()}>
              {t('counter.print')}
            </button>
            <button type="button" onClick={reset}>
              {t('counter.again')}
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
