/**
 * Routes of the card half: card jobs (the APDU relay a terminal drives: load,
 * delete, diagnose, move-in) and the key packages providers give their business
 * systems.
 */
import { fromHex } from '@myna-ap/apdu';
import { appendAudit, writeTransaction } from '../store/audit.ts';
import type { Ctx, Session } from '../store/context.ts';
import { route, ok, type Answer, type ApiCtx, type Route } from './route.ts';
import type { JobBodyIn } from '../contract/schemas.ts';
import type { Job } from '../contract/results.ts';
import type { JobView } from '../cardops/jobs.ts';
import type { CardLink } from '../cardops/link.ts';
import type { CardApId, TerminalId } from '../domain/ids.ts';
import { checkCardApPin } from '../domain/installSpec.ts';
import { loadOnCard } from '../cardops/load.ts';
import { deleteOnCard } from '../cardops/delete.ts';
import { moveIn } from '../cardops/moveIn.ts';
import { carryOver } from '../cardops/carryOver.ts';
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
  run: (link: CardLink) => Promise<T>,
): (link: CardLink) => Promise<T> {
  return async (link) => {
    let apdus = 0;
    try {
      return await run({
        transmit: (apdu) => {
          apdus++;
          return link.transmit(apdu);
        },
        run: (script) => {
          apdus += script.length;
          return link.run(script);
        },
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

/**
 * Starts the card job `body` asks for (its first script, or its refusal): for
 * `POST /v1/jobs`, and for the terminal channel, which relays the same jobs.
 */
export async function startCardJob(
  ctx: ApiCtx,
  session: Session,
  body: JobBodyIn,
): Promise<JobView> {
  const terminalId = body.terminalId as TerminalId;
  let run: (link: CardLink) => Promise<unknown>;
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
      run = (l) =>
        deleteOnCard(ctx, session, l.transmit, {
          terminalId,
          cardApIds: body.cardApIds as CardApId[],
          consent: body.consent,
          holderMunicipality: body.holderMunicipality,
          overrideHours: body.overrideHours,
        });
      break;
    case 'diagnose':
      run = (l) => diagnose(ctx, session, l.transmit, { terminalId });
      break;
    case 'move_in':
      run = (l) =>
        moveIn(ctx, session, l.transmit, {
          terminalId,
          toMunicipality: body.toMunicipality,
          overrideHours: body.overrideHours,
        });
      break;
    case 'reset_pin': {
      const pin = body.pin === undefined ? undefined : checkCardApPin(body.pin);
      run = (l) =>
        resetPin(ctx, session, l.transmit, {
          terminalId,
          cardApId: body.cardApId as CardApId,
          pin,
          consent: body.consent,
          overrideHours: body.overrideHours,
        });
      break;
    }
    case 'carry_over': {
      const pins = Object.fromEntries(
        (body.pins ?? []).map((p) => [p.cardApId, checkCardApPin(p.pin)]),
      );
      run = (t) =>
        carryOver(ctx, session, t, {
          terminalId,
          consent: body.consent,
          pins,
          holderMunicipality: body.holderMunicipality,
          overrideHours: body.overrideHours,
        });
      break;
    }
  }
  return ctx.jobs.start(
    session.operatorId,
    body.op,
    auditedRun(ctx, session, body.op, terminalId, run),
  );
}

export const cardRoutes: readonly Route[] = [
  route('startJob', async (ctx, { session, body }) =>
    ok(jobAnswer(await startCardJob(ctx, session, body)), 201),
  ),
  route('exchange', async (ctx, { session, params, body }) => {
    const answer =
      'response' in body
        ? [fromHex(body.response)]
        : 'responses' in body
          ? body.responses.map(fromHex)
          : body.error;
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
