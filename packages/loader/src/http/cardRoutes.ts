/**
 * Routes of the card half: card jobs (the APDU relay a terminal drives: load,
 * delete, diagnose, move-in) and the key packages providers give their business
 * systems.
 */
import { fromHex, type Transmit } from '@myna-ap/apdu';
import { appendAudit, writeTransaction } from '../store/audit.ts';
import type { Ctx, Session } from '../store/context.ts';
import { route, ok, type Answer, type Route } from './route.ts';
import type { Job } from '../contract/results.ts';
import type { JobView } from '../cardops/jobs.ts';
import type { CardApId, TerminalId } from '../domain/ids.ts';
import { checkCardApPin } from '../domain/installSpec.ts';
import { loadOnCard } from '../cardops/load.ts';
import { deleteOnCard } from '../cardops/delete.ts';
import { moveIn } from '../cardops/moveIn.ts';
import { diagnose } from '../cardops/diagnose.ts';
import { resetPin } from '../cardops/resetPin.ts';
import { exportKeyPackage } from '../store/keyPackages.ts';
import { setAutoLoad } from '../store/terminals.ts';

/**
 * A card operation that ends in failure once the card was touched (the card
 * pulled, the terminal gone, a locked PIN…) leaves an audit row saying so; a
 * refusal before any APDU is the caller's plain 4xx and changes nothing.
 */
function auditedRun<T>(
  ctx: Ctx,
  s: Session,
  op: string,
  terminalId: string,
  run: (t: Transmit) => Promise<T>,
): (t: Transmit) => Promise<T> {
  return async (t) => {
    let apdus = 0;
    try {
      return await run((apdu) => {
        apdus++;
        return t(apdu);
      });
    } catch (e) {
      if (apdus > 0) {
        const code = (e as { code?: unknown }).code;
        await writeTransaction(ctx.db, (tx) =>
          appendAudit(
            tx,
            {
              actor: s.operatorId,
              action: `${op}.failed`,
              detail: {
                providerId: s.providerId,
                terminalId,
                code: typeof code === 'string' ? code : 'INTERNAL',
                apdus,
              },
            },
            ctx.now(),
          ),
        ).catch(() => undefined); // the failure itself is what the caller must hear
      }
      throw e;
    }
  };
}

/**
 * A job as the contract shows it. CardJobs runs any operation, so its result is
 * `unknown` there; what each op's run returns is checked against the contract's
 * result schema at compile time (http/contractCheck.ts) and on the wire in tests.
 */
function jobAnswer(v: JobView): Answer<Job> {
  return v as Answer<Job>;
}

export const cardRoutes: readonly Route[] = [
  route('startJob', async (ctx, { session, body }) => {
    const terminalId = body.terminalId as TerminalId;
    let run: (t: Transmit) => Promise<unknown>;
    switch (body.op) {
      case 'load': {
        const items = (body.cardAps ?? []).map((i) => ({
          cardApId: i.cardApId as CardApId,
          area: i.area,
          data: i.data === undefined ? undefined : fromHex(i.data),
          pin: i.pin === undefined ? undefined : checkCardApPin(i.pin),
        }));
        run = (t) =>
          loadOnCard(ctx, session, t, {
            terminalId,
            items,
            consent: body.consent,
            holderMunicipality: body.holderMunicipality,
            overrideHours: body.overrideHours,
            batchId: body.batchId,
          });
        break;
      }
      case 'delete':
        run = (t) =>
          deleteOnCard(ctx, session, t, {
            terminalId,
            cardApIds: body.cardApIds as CardApId[],
            consent: body.consent,
            holderMunicipality: body.holderMunicipality,
            overrideHours: body.overrideHours,
          });
        break;
      case 'diagnose':
        run = (t) => diagnose(ctx, session, t, { terminalId });
        break;
      case 'move_in':
        run = (t) =>
          moveIn(ctx, session, t, {
            terminalId,
            toMunicipality: body.toMunicipality,
            overrideHours: body.overrideHours,
          });
        break;
      case 'reset_pin': {
        const pin = body.pin === undefined ? undefined : checkCardApPin(body.pin);
        run = (t) =>
          resetPin(ctx, session, t, {
            terminalId,
            cardApId: body.cardApId as CardApId,
            pin,
            consent: body.consent,
            overrideHours: body.overrideHours,
          });
        break;
      }
    }
    return ok(
      jobAnswer(
        await ctx.jobs.start(
          session.operatorId,
          body.op,
          auditedRun(ctx, session, body.op, terminalId, run),
        ),
      ),
      201,
    );
  }),
  route('exchange', async (ctx, { session, params, body }) => {
    const answer = 'response' in body ? fromHex(body.response) : body.error;
    return ok(jobAnswer(await ctx.jobs.exchange(session.operatorId, params.id, body.seq, answer)));
  }),
  route('getJob', async (ctx, { session, params }) => {
    return ok(jobAnswer(ctx.jobs.get(session.operatorId, params.id)));
  }),
  route('cancelJob', async (ctx, { session, params }) => {
    return ok(jobAnswer(await ctx.jobs.cancel(session.operatorId, params.id)));
  }),
  route('keyPackage', async (ctx, { session, params }) => {
    return ok(await exportKeyPackage(ctx, session, params.id));
  }),
  route('setAutoLoad', async (ctx, { session, params, body }) => {
    return ok({
      id: params.id,
      autoLoad: await setAutoLoad(ctx, session, params.id, body.autoLoad),
    });
  }),
];
