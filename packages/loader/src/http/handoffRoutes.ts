/**
 * Handing a card job from the operator's console to the terminal's relay.
 *
 * The console (a browser) starts a card job but cannot reach the card reader; the
 * relay on the terminal's PC can, but did not start the job. The console hands
 * the job's id to its terminal here and the relay, logged in as the same
 * operator, takes it and relays it over the usual `POST /v1/jobs/:id/exchange`.
 * A job stays visible only to the operator who started it, so a relay of another
 * operator cannot take it. The queue lives in the server's memory next to the
 * jobs themselves (a job never outlives its server).
 *
 *   console:  POST /v1/jobs {…}  → {id}     POST /v1/terminals/:id/handoff {jobId}
 *   relay:    GET  /v1/terminals/:id/handoff → {jobIds}   then GET /v1/jobs/:jobId, /exchange…
 */
import { z } from 'zod';
import { LoaderError } from '../errors.ts';
import type { Session } from '../store/context.ts';
import type { CardJobs } from '../cardops/jobs.ts';
import { route, type Route } from './route.ts';
import { opaqueIdSchema, terminalParams } from './schemas.ts';

/** Waiting job ids per operator and terminal, one queue set per server (per CardJobs). */
const queues = new WeakMap<CardJobs, Map<string, string[]>>();

/** Jobs a terminal has not taken yet are few: a counter has one card at a time. */
export const MAX_WAITING_HANDOFFS = 16;

function queueOf(jobs: CardJobs, s: Session, terminalId: string): string[] {
  let m = queues.get(jobs);
  if (!m) queues.set(jobs, (m = new Map()));
  const key = `${s.operatorId}\u0000${terminalId}`;
  let q = m.get(key);
  if (!q) m.set(key, (q = []));
  return q;
}

/** Only an operator who works at the terminal may hand jobs to it or take them. */
function checkTerminal(s: Session, terminalId: string): void {
  if (!s.terminals.includes(terminalId as Session['terminals'][number])) {
    throw new LoaderError(
      'NOT_AT_TERMINAL',
      {
        en: `you do not work at terminal ${terminalId}`,
        ja: `端末 ${terminalId} で作業する権限がありません`,
      },
      403,
    );
  }
}

export const handoffRoutes: readonly Route[] = [
  route({
    method: 'POST',
    path: '/v1/terminals/:id/handoff',
    summary:
      'Hand a card job you started to the relay of your terminal (the console’s card reader)',
    tag: 'card jobs',
    auth: true,
    params: terminalParams,
    body: z.object({ jobId: opaqueIdSchema }).strict(),
    status: 202,
    async handler(ctx, { session, params, body }) {
      checkTerminal(session, params.id);
      const job = ctx.jobs.get(session.operatorId, body.jobId); // 404 unless it is yours
      if (job.state !== 'running') {
        throw new LoaderError(
          'JOB_FINISHED',
          {
            en: `job ${job.id} has ended (${job.state})`,
            ja: `ジョブ ${job.id} は終了しています（${job.state}）`,
          },
          409,
          { state: job.state },
        );
      }
      const q = queueOf(ctx.jobs, session, params.id);
      if (!q.includes(job.id)) {
        if (q.length >= MAX_WAITING_HANDOFFS) {
          throw new LoaderError(
            'HANDOFF_QUEUE_FULL',
            {
              en: `terminal ${params.id} has ${q.length} card jobs waiting: is its relay running?`,
              ja: `端末 ${params.id} に未処理のカード操作が ${q.length} 件あります。端末の中継が動いているか確認してください`,
            },
            429,
          );
        }
        q.push(job.id);
      }
      return { status: 202, body: { jobId: job.id, waiting: q.length } };
    },
  }),
  route({
    method: 'GET',
    path: '/v1/terminals/:id/handoff',
    summary: 'Take the card jobs handed to this terminal (its relay asks; each id is given once)',
    tag: 'card jobs',
    auth: true,
    params: terminalParams,
    response: z.object({ jobIds: z.array(z.string()) }),
    async handler(ctx, { session, params }) {
      checkTerminal(session, params.id);
      const q = queueOf(ctx.jobs, session, params.id);
      // Jobs that ended before the relay came (cancelled, timed out) are dropped.
      const jobIds = q.splice(0).filter((id) => {
        try {
          return ctx.jobs.get(session.operatorId, id).state === 'running';
        } catch {
          return false;
        }
      });
      return { body: { jobIds } };
    },
  }),
];
