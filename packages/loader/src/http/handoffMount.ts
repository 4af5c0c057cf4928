/**
 * Handing a card job from the operator's console to the terminal's relay.
 *
 * The console (a browser) starts a card job but cannot reach the card reader; the
 * relay on the terminal's PC can, but did not start the job. The console hands
 * the job's id to its terminal here and the relay, logged in as the same
 * operator, takes it and relays it over the usual `POST /v1/jobs/:id/exchange`.
 * A job stays visible only to the operator who started it, so a relay of another
 * operator cannot take it. A terminal whose agent is on the terminal channel
 * (`myna terminal run`, terminalChannel.ts) needs no polling: the job goes over
 * its socket at once (`via: 'channel'`), and only the others queue (`via: 'relay'`). The queue lives in the server's memory next to the
 * jobs themselves (a job never outlives its server).
 *
 *   console:  POST /v1/jobs {…}  → {id}     POST /v1/terminals/:id/handoff {jobId}
 *   relay:    GET  /v1/terminals/:id/handoff → {jobIds}   then GET /v1/jobs/:jobId, /exchange…
 *
 * Mounted through the seam (docs/server.md); its schemas are in contract/console.ts.
 */
import { LoaderError } from '../errors.ts';
import type { JobView } from '../cardops/jobs.ts';
import type { Session } from '../store/context.ts';
import { handoffBody, handoffParams } from '../contract/console.ts';
import type { Mount } from './mount.ts';
import { parseInput } from './mountInput.ts';

/** Jobs a terminal has not taken yet are few: a counter has one card at a time. */
export const MAX_WAITING_HANDOFFS = 16;

/** Only an operator who works at the terminal may hand jobs to it or take them. */
function checkTerminal(s: Session, terminalId: string): void {
  if (!s.terminals.includes(terminalId as Session['terminals'][number])) {
    throw new LoaderError('NOT_AT_TERMINAL', {
      en: `you do not work at terminal ${terminalId}`,
      ja: `端末 ${terminalId} で作業する権限がありません`,
    });
  }
}

/** The terminal channel as the hand-off sees it (TerminalChannels has both). */
export interface TerminalRelay {
  /** An agent of the terminal has its socket open. */
  connected(terminalId: string): boolean;
  /** Sends the job's steps over that socket from now on. */
  attach(terminalId: string, operatorId: string, v: JobView): void;
}

/** Waiting job ids per operator and terminal (one set per mounted server). */
function handoffQueues() {
  const queues = new Map<string, string[]>();
  return (s: Session, terminalId: string): string[] => {
    const key = `${s.operatorId}\u0000${terminalId}`;
    let q = queues.get(key);
    if (!q) queues.set(key, (q = []));
    return q;
  };
}

/**
 * `relay`: the server's terminal channel once it is mounted (undefined: none, every
 * hand-off queues for an HTTP relay).
 */
export function handoffMount(relay: () => TerminalRelay | undefined = () => undefined): Mount {
  return {
    name: 'handoff',
    async plugin(app, mount) {
      const { jobs } = mount.loader;
      const queueOf = handoffQueues();

      app.post('/v1/terminals/:id/handoff', async (req, reply) => {
        const params = parseInput('params', handoffParams, req.params);
        const body = parseInput('body', handoffBody, req.body);
        const s = mount.operatorOf(req);
        checkTerminal(s, params.id);
        const job = jobs.get(s.operatorId, body.jobId); // 404 unless it is yours
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
        const channel = relay();
        if (channel?.connected(params.id)) {
          channel.attach(params.id, s.operatorId, job);
          return reply.code(202).send({ jobId: job.id, waiting: 0, via: 'channel' });
        }
        const q = queueOf(s, params.id);
        if (!q.includes(job.id)) {
          if (q.length >= MAX_WAITING_HANDOFFS) {
            throw new LoaderError('HANDOFF_QUEUE_FULL', {
              en: `terminal ${params.id} has ${q.length} card jobs waiting: is its relay running?`,
              ja: `端末 ${params.id} に未処理のカード操作が ${q.length} 件あります。端末の中継が動いているか確認してください`,
            });
          }
          q.push(job.id);
        }
        return reply.code(202).send({ jobId: job.id, waiting: q.length, via: 'relay' });
      });

      app.get('/v1/terminals/:id/handoff', async (req) => {
        const params = parseInput('params', handoffParams, req.params);
        const s = mount.operatorOf(req);
        checkTerminal(s, params.id);
        // Jobs that ended before the relay came (cancelled, timed out) are dropped.
        const jobIds = queueOf(s, params.id)
          .splice(0)
          .filter((id) => {
            try {
              return jobs.get(s.operatorId, id).state === 'running';
            } catch {
              return false;
            }
          });
        return { jobIds };
      });
    },
  };
}
