/**
 * Other card work at the counter (その他の手続き): a card AP's PIN reset
 * (暗証番号の再設定: the holder's new PIN, or the system-fixed one again, with the
 * holder's wish recorded) and a move-in (転入: the holder's new municipality; the
 * local-area card APs of the old one are removed from the card, the extended-area
 * ones stay, and their providers are told). Both are card jobs at a terminal.
 */
import { useState } from 'react';
import { useLang } from '../i18n.ts';
import type { CardAp, Me, MoveInReport, PinResetReport } from '../types.ts';
import { ErrorBox, ResultPanel, useCardJob } from '../ui.tsx';
import { useList } from './useList.ts';

type Method = 'counter_form' | 'counter_signature' | 'online';
const METHODS: readonly Method[] = ['counter_form', 'counter_signature', 'online'];

function PinReset({ me, terminal, aps }: { me: Me; terminal: string; aps: readonly CardAp[] }) {
  const { t } = useLang();
  // Card APs with a PIN of their own (types A and D, some custom ones; C has none).
  const withPin = aps.filter(
    (a) => a.providerId === me.providerId && a.status === 'approved' && a.access?.pin,
  );
  const [cardApId, setCardApId] = useState('');
  const [pin, setPin] = useState('');
  const [method, setMethod] = useState<Method>('counter_form');
  const [confirmed, setConfirmed] = useState(false);
  const job = useCardJob<PinResetReport>();
  const chosen = withPin.find((a) => a.id === (cardApId || withPin[0]?.id));
  const fixed = chosen?.access?.pin?.fixed === true;
  return (
    <form
      className="panel"
      onSubmit={(e) => {
        e.preventDefault();
        if (!chosen) return;
        void job.run(terminal, {
          op: 'reset_pin',
          cardApId: chosen.id,
          ...(fixed ? {} : { pin }),
          consent: { method },
        });
        setPin('');
        // The next holder's wish is confirmed afresh.
        setConfirmed(false);
      }}
    >
      <h3>{t('work.pinTitle')}</h3>
      <p>{t('work.pinLead')}</p>
      {withPin.length === 0 ? (
        <p>{t('work.noPin')}</p>
      ) : (
        <>
          <label>
            {t('work.cardAp')}
            <select value={chosen?.id ?? ''} onChange={(e) => setCardApId(e.target.value)}>
              {withPin.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          </label>
          {fixed ? (
            <p className="help">{t('work.fixedPin')}</p>
          ) : (
            <label>
              {t('work.newPin')}
              <input
                type="password"
                inputMode="numeric"
                autoComplete="off"
                required
                minLength={4}
                maxLength={16}
                value={pin}
                onChange={(e) => setPin(e.target.value)}
              />
            </label>
          )}
          <fieldset>
            <legend>{t('counter.method')}</legend>
            {METHODS.map((m) => (
              <label key={m} className="choice">
                <input
                  type="radio"
                  name="pin-method"
                  checked={method === m}
                  onChange={() => setMethod(m)}
                />
                {t(`counter.${m}`)}
              </label>
            ))}
          </fieldset>
          <label className="choice confirm">
            <input
              type="checkbox"
              checked={confirmed}
              onChange={(e) => setConfirmed(e.target.checked)}
            />
            {t('counter.confirm')}
          </label>
          <button
            type="submit"
            className="primary"
            disabled={!confirmed || !terminal || job.progress !== undefined}
          >
            {t('work.pinRun')}
          </button>
        </>
      )}
      <ResultPanel job={job} busy="counter.running">
        {job.result && (
          <p role="status" className="good big">
            {t('work.pinDone', { name: chosen?.name ?? job.result.cardApId, n: job.result.tries })}
          </p>
        )}
      </ResultPanel>
    </form>
  );
}

function MoveIn({ terminal, aps }: { terminal: string; aps: readonly CardAp[] }) {
  const { t } = useLang();
  const [to, setTo] = useState('');
  const job = useCardJob<MoveInReport>();
  // Another provider's card AP (the old municipality's) is not in this one's list:
  // it is named by its provider and AID.
  const name = (r: { cardApId: string; providerId: string; aid: string }) =>
    aps.find((a) => a.id === r.cardApId)?.name ??
    t('work.otherAp', { provider: r.providerId, aid: r.aid });
  return (
    <form
      className="panel"
      onSubmit={(e) => {
        e.preventDefault();
        void job.run(terminal, { op: 'move_in', toMunicipality: to });
      }}
    >
      <h3>{t('work.moveTitle')}</h3>
      <p>{t('work.moveLead')}</p>
      <label>
        {t('work.toMunicipality')}
        <input
          required
          inputMode="numeric"
          pattern="[0-9]{6}"
          aria-describedby="to-help"
          value={to}
          onChange={(e) => setTo(e.target.value)}
        />
      </label>
      <p id="to-help" className="help">
        {t('work.toHelp')}
      </p>
      <button type="submit" className="primary" disabled={!terminal || job.progress !== undefined}>
        {t('work.moveRun')}
      </button>
      <ResultPanel job={job} busy="counter.running">
        {job.result && (
          <div role="status" className="done">
            <p className="good big">
              {t('work.moveDone', { from: job.result.from ?? '—', to: job.result.to })}
            </p>
            <p>
              {t('work.removed')}
              {t('colon')}
              {job.result.removed.map(name).join(t('sep')) || t('none')}
            </p>
            <p>
              {t('work.kept')}
              {t('colon')}
              {job.result.kept.map(name).join(t('sep')) || t('none')}
            </p>
          </div>
        )}
      </ResultPanel>
    </form>
  );
}

export function CardWork({ me }: { me: Me }) {
  const { t } = useLang();
  const aps = useList<CardAp>('/v1/card-aps');
  const [terminal, setTerminal] = useState(me.terminals[0] ?? '');
  return (
    <section aria-labelledby="work-h">
      <h2 id="work-h">{t('work.title')}</h2>
      <ErrorBox error={aps.error} />
      <div className="panel">
        {me.terminals.length === 0 ? (
          <p>{t('counter.noTerminal')}</p>
        ) : (
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
        )}
        <p className="big">{t('counter.place')}</p>
      </div>
      <PinReset me={me} terminal={terminal} aps={aps.rows ?? []} />
      <MoveIn terminal={terminal} aps={aps.rows ?? []} />
    </section>
  );
}
