/**
 * Card jobs: a card operation (load, delete, diagnose, move-in) that runs on the
 * server while the card is at a terminal. The server holds the keys and the
 * saga; the terminal only relays APDUs (DESIGN: keys never leave the server).
 * Each step is a *script* (apdu's script.ts): the commands the card answers in
 * order, stopping at the first status that ends it — one round trip for what
 * needs no answer in between.
 *
 *   POST /v1/jobs {op…}                  → { id, state: running, seq: 1, script, command }
 *   POST /v1/jobs/:id/exchange {seq, responses | response | error}
 *                                        → { state: running, seq: n+1, script } | { state: done, result } | { state: failed, error }
 *
 * A relay that answers only a prefix of a script (one `response`: a client that
 * sends one APDU per exchange) gets the rest as the next step, so every relay
 * works; it just costs more round trips.
 *
 * A job lives in the memory of the server that started it (route a job's
 * requests to that server). A terminal that stops answering for `idleTimeoutMs`
 * ends its job as if the card had been pulled: the saga rows stay as they are and
 * the next contact with the card settles them. Nothing here touches the DB.
 */
import { randomBytes } from 'node:crypto';
import {
  ApduError,
  GO_ON_ANY,
  GpError,
  Scp03Error,
  scriptProgress,
  toHex,
  type Script,
} from '@myna-ap/apdu';
import { TransportError, cardRemoved, type TransportErrorCode } from '@myna-ap/transport';
import { LoaderError, type Text } from '../errors.ts';
import type { CardLink } from './link.ts';

export type JobOp = 'load' | 'delete' | 'diagnose' | 'move_in' | 'reset_pin' | 'carry_over';
export type JobState = 'running' | 'done' | 'failed';

export interface JobError {
  readonly code: string;
  readonly message: Text;
  readonly detail?: Readonly<Record<string, unknown>> | undefined;
}

export interface JobView {
  readonly id: string;
  readonly op: JobOp;
  readonly state: JobState;
  /** Number of the step (script) now waiting for the card's answers (running jobs). */
  readonly seq: number;
  /** The first command of `script`, upper-case hex (running jobs). */
  readonly command?: string | undefined;
  /** The commands to send now, each with the statuses that let the script go on. */
  readonly script?: readonly { readonly apdu: string; readonly goOn: readonly string[] }[];
  /** Scripts sent so far: the job's round trips. */
  readonly rounds: number;
  readonly result?: unknown;
  readonly error?: JobError | undefined;
  /** Command APDUs sent so far. */
  readonly apdus: number;
}

/** The terminal's answer to a step: the card's responses in order, or why there are none. */
export type StepAnswer = readonly Uint8Array[] | TerminalFailure;

export interface JobsOptions {
  /** How long a command may wait for the terminal's answer (default 60 s). */
  readonly idleTimeoutMs?: number;
  /** Running jobs per server (default 1000) and per operator (default 16). */
  readonly maxJobs?: number;
  readonly maxPerOperator?: number;
  /** How long a finished job can still be read (default 10 min). */
  readonly keepFinishedMs?: number;
  /** Faults of our own are logged here (a job's own refusals are not). */
  readonly onFault?: (e: unknown) => void;
}

/** What the terminal says instead of an answer when the card is gone. */
export type TerminalFailure = Extract<
  TransportErrorCode,
  'CARD_REMOVED' | 'NO_CARD' | 'PCSC_ERROR'
>;

const INTERRUPTED_HINT: Text = {
  en: 'nothing is lost: present the card again and the next operation settles what was cut short',
  ja: '処理内容は失われていません。カードをもう一度置くと、次の操作で中断分を整合させます',
};

function jobError(e: unknown, onFault?: (e: unknown) => void): JobError {
  if (e instanceof LoaderError) {
    return { code: e.code, message: e.text, ...(e.detail ? { detail: e.detail } : {}) };
  }
  if (e instanceof TransportError) {
    return {
      code: 'INTERRUPTED',
      message: {
        en: `${e.text.en}; ${INTERRUPTED_HINT.en}`,
        ja: `${e.text.ja}。${INTERRUPTED_HINT.ja}`,
      },
      detail: { cause: e.code },
    };
  }
  if (e instanceof Scp03Error || e instanceof ApduError || e instanceof GpError) {
    // The answers relayed did not verify or parse: a broken reader, or a relay that tampers.
    return {
      code: 'CARD_CHANNEL_BROKEN',
      message: {
        en: `the card's answers did not verify (${e.message}); ${INTERRUPTED_HINT.en}`,
        ja: `カードの応答を検証できませんでした。${INTERRUPTED_HINT.ja}`,
      },
      detail: { cause: e.code },
    };
  }
  onFault?.(e);
  return {
    code: 'INTERNAL',
    message: {
      en: 'internal error; see the server log',
      ja: '内部エラーが発生しました。サーバのログを確認してください',
    },
  };
}

const jobNotFound = (id: string) =>
  new LoaderError(
    'JOB_NOT_FOUND',
    { en: `job ${id} not found`, ja: `ジョブ ${id} が見つかりません` },
    404,
  );

const hexUp = (b: Uint8Array) => toHex(b).toUpperCase();

/** A script on its way: the commands still to answer and the answers so far. */
interface Pending {
  rest: Script;
  readonly answers: Uint8Array[];
  readonly resolve: (r: Uint8Array[]) => void;
  readonly reject: (e: unknown) => void;
}

class Job {
  readonly id = `jb_${randomBytes(12).toString('hex')}`;
  state: JobState = 'running';
  seq = 0;
  rounds = 0;
  apdus = 0;
  result: unknown;
  error: JobError | undefined;
  /** What ended a failed job (rethrown as the HTTP refusal when no APDU was sent). */
  cause: unknown;
  finishedAt = 0;
  /** The answer last accepted, so a retried exchange gets the same reply. */
  last: { seq: number; answer: string } | undefined;
  #pending: Pending | undefined;
  #waiters: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** Set once the job is ended from outside: every later step fails with it. */
  #stop: TransportError | undefined;

  constructor(
    readonly op: JobOp,
    readonly operatorId: string,
    readonly idleTimeoutMs: number,
  ) {}

  view(): JobView {
    const rest = this.state === 'running' ? this.#pending?.rest : undefined;
    return {
      id: this.id,
      op: this.op,
      state: this.state,
      seq: this.seq,
      ...(rest && rest[0]
        ? {
            command: hexUp(rest[0].apdu),
            script: rest.map((c) => ({ apdu: hexUp(c.apdu), goOn: [...c.goOn] })),
          }
        : {}),
      ...(this.state === 'done' ? { result: this.result } : {}),
      ...(this.error ? { error: this.error } : {}),
      rounds: this.rounds,
      apdus: this.apdus,
    };
  }

  /** The operation's side: each script is one step the terminal answers. */
  readonly link: CardLink = {
    run: (script) => this.#run(script),
    transmit: async (apdu) => (await this.#run([{ apdu, goOn: GO_ON_ANY }]))[0]!,
  };

  #run(script: Script): Promise<Uint8Array[]> {
    return new Promise<Uint8Array[]>((resolve, reject) => {
      if (this.#stop) {
        reject(this.#stop);
        return;
      }
      if (this.state !== 'running' || this.#pending || script.length === 0) {
        reject(
          new TransportError('CHANNEL_CLOSED', {
            en: 'the job has ended',
            ja: 'ジョブは終了しています',
          }),
        );
        return;
      }
      this.rounds++;
      this.apdus += script.length;
      this.#pending = { rest: script, answers: [], resolve, reject };
      this.#nextSeq();
    });
  }

  /** A new step waits for the terminal: a new number, the idle clock restarted. */
  #nextSeq(): void {
    this.seq++;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.fail(terminalSilent()), this.idleTimeoutMs);
    this.#timer.unref();
    this.#wake();
  }

  /** Resolves at the next step: a new script, the rest of one, or the end. */
  nextStep(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /**
   * Hands the terminal's answers (or failure) to the waiting script. Answers to a
   * prefix of it keep it waiting for the rest, as a new step. Answers that do not
   * fit the script are refused with nothing changed.
   */
  answer(r: readonly Uint8Array[] | TransportError): void {
    const p = this.#pending;
    if (!p) return;
    if (r instanceof TransportError) {
      this.#pending = undefined;
      clearTimeout(this.#timer);
      p.reject(r);
      return;
    }
    let progress: 'complete' | 'partial';
    try {
      progress = scriptProgress(p.rest, r);
    } catch (e) {
      if (!(e instanceof ApduError)) throw e;
      throw new LoaderError(
        'JOB_ANSWERS_INVALID',
        {
          en: `job ${this.id}: ${e.message}`,
          ja: `ジョブ ${this.id}: スクリプトに合わない応答です（${e.message}）`,
        },
        400,
      );
    }
    p.answers.push(...r);
    if (progress === 'partial') {
      p.rest = p.rest.slice(r.length);
      this.#nextSeq();
      return;
    }
    this.#pending = undefined;
    clearTimeout(this.#timer);
    p.resolve(p.answers);
  }

  get waiting(): boolean {
    return this.#pending !== undefined;
  }

  /** Ends a running job from outside (timeout, shutdown): the operation sees its step fail. */
  fail(e: TransportError): void {
    if (this.state !== 'running') return;
    this.#stop ??= e;
    this.answer(e);
  }

  finish(state: 'done' | 'failed', value: unknown): void {
    if (state === 'done') this.result = value;
    else this.error = value as JobError;
    this.state = state;
    this.#pending = undefined;
    this.finishedAt = Date.now();
    clearTimeout(this.#timer);
    this.#wake();
  }
}

function terminalSilent(): TransportError {
  return new TransportError('CHANNEL_CLOSED', {
    en: 'the terminal stopped answering',
    ja: '端末からの応答が途絶えました',
  });
}

export class CardJobs {
  readonly #jobs = new Map<string, Job>();
  readonly #o: Required<Omit<JobsOptions, 'onFault'>> & Pick<JobsOptions, 'onFault'>;
  readonly #sweep: NodeJS.Timeout;

  constructor(o: JobsOptions = {}) {
    this.#o = {
      idleTimeoutMs: o.idleTimeoutMs ?? 60_000,
      maxJobs: o.maxJobs ?? 1000,
      maxPerOperator: o.maxPerOperator ?? 16,
      keepFinishedMs: o.keepFinishedMs ?? 10 * 60_000,
      onFault: o.onFault,
    };
    this.#sweep = setInterval(() => this.#purge(), 30_000);
    this.#sweep.unref();
  }

  #purge(): void {
    const before = Date.now() - this.#o.keepFinishedMs;
    for (const [id, j] of this.#jobs)
      if (j.state !== 'running' && j.finishedAt < before) this.#jobs.delete(id);
  }

  /** Running jobs (all, or one operator's). */
  running(operatorId?: string): number {
    let n = 0;
    for (const j of this.#jobs.values()) {
      if (j.state === 'running' && (operatorId === undefined || j.operatorId === operatorId)) n++;
    }
    return n;
  }

  /** Starts `run` and answers with its first command (or its end). */
  async start(
    operatorId: string,
    op: JobOp,
    run: (link: CardLink) => Promise<unknown>,
  ): Promise<JobView> {
    this.#purge();
    if (this.running() >= this.#o.maxJobs || this.running(operatorId) >= this.#o.maxPerOperator) {
      throw new LoaderError(
        'TOO_MANY_JOBS',
        {
          en: 'too many card operations are running; finish or cancel some first',
          ja: '実行中のカード操作が多すぎます。終了または中止してからやり直してください',
        },
        429,
      );
    }
    const job = new Job(op, operatorId, this.#o.idleTimeoutMs);
    this.#jobs.set(job.id, job);
    const step = job.nextStep();
    run(job.link).then(
      (r) => job.finish('done', r),
      (e: unknown) => {
        job.cause = e;
        job.finish('failed', jobError(e, this.#o.onFault));
      },
    );
    await step;
    // Refused before the card was touched (role, hours, input): a plain HTTP refusal.
    if (job.state === 'failed' && job.rounds === 0 && job.cause instanceof LoaderError) {
      this.#jobs.delete(job.id);
      throw job.cause;
    }
    return job.view();
  }

  #own(operatorId: string, id: string): Job {
    const j = this.#jobs.get(id);
    // Another operator's job does not exist for you.
    if (!j || j.operatorId !== operatorId) throw jobNotFound(id);
    return j;
  }

  get(operatorId: string, id: string): JobView {
    return this.#own(operatorId, id).view();
  }

  /**
   * The terminal's answer to step `seq`: the card's responses, or the failure that
   * stopped the card from answering. A retry of the last accepted answer (same seq,
   * same bytes) gets the same reply again.
   */
  async exchange(
    operatorId: string,
    id: string,
    seq: number,
    answer: StepAnswer | Uint8Array,
  ): Promise<JobView> {
    const j = this.#own(operatorId, id);
    const responses = answer instanceof Uint8Array ? [answer] : answer;
    const key = typeof responses === 'string' ? `!${responses}` : responses.map(toHex).join(',');
    if (j.last && j.last.seq === seq && j.last.answer === key) {
      // A retry that overtook the work its first copy started (the DB between two
      // steps): wait for that step like the first copy does, then the same reply.
      if (j.state === 'running' && j.seq === seq && !j.waiting) await j.nextStep();
      if (j.state !== 'running' || j.seq > seq) return j.view();
    }
    if (j.state !== 'running') {
      throw new LoaderError(
        'JOB_FINISHED',
        {
          en: `job ${id} has ended (${j.state})`,
          ja: `ジョブ ${id} は終了しています（${j.state}）`,
        },
        409,
        { state: j.state },
      );
    }
    if (seq !== j.seq || !j.waiting) {
      throw new LoaderError(
        'JOB_OUT_OF_STEP',
        {
          en: `job ${id} waits for the answer to step ${j.seq}, not ${seq}`,
          ja: `ジョブ ${id} はステップ ${j.seq} の応答を待っています（${seq} ではありません）`,
        },
        409,
        { seq: j.seq },
      );
    }
    const step = j.nextStep();
    if (typeof responses !== 'string') j.answer(responses);
    else
      j.answer(
        responses === 'CARD_REMOVED'
          ? cardRemoved()
          : new TransportError(responses, {
              en: `the terminal reports ${responses}`,
              ja: `端末からの報告: ${responses}`,
            }),
      );
    j.last = { seq, answer: key };
    await step;
    return j.view();
  }

  /** Cancels a running job: its operation sees the card leave. */
  async cancel(operatorId: string, id: string): Promise<JobView> {
    const j = this.#own(operatorId, id);
    if (j.state === 'running') {
      const step = j.nextStep();
      j.fail(
        new TransportError('CHANNEL_CLOSED', {
          en: 'cancelled at the terminal',
          ja: '端末で中止されました',
        }),
      );
      // A job busy with the database (not waiting for the card) stops at its next command.
      if (j.state === 'running') await step;
    }
    return j.view();
  }

  /** Server shutdown: every running job ends as interrupted. */
  close(): void {
    clearInterval(this.#sweep);
    for (const j of this.#jobs.values()) {
      j.fail(
        new TransportError('CHANNEL_CLOSED', {
          en: 'the server is shutting down',
          ja: 'サーバを停止しています',
        }),
      );
    }
  }
}
