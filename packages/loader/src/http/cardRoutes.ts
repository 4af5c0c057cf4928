/**
 * Routes of the card half: card jobs (the APDU relay a terminal drives: load,
 * delete, diagnose, move-in) and the key packages providers give their business
 * systems.
 */
import { fromHex, type Transmit } from '@myna-ap/apdu';
import { appendAudit, writeTransaction } from '../audit.ts';
import type { Ctx, Session } from '../store/context.ts';
import { z } from 'zod';
import { route, type Route } from './route.ts';
import {
  areaSchema,
  idParams,
  municipalityCodeSchema,
  opaqueIdSchema,
  terminalIdSchema,
  terminalParams,
  autoLoadSchema,
} from './schemas.ts';
import type { CardApId, TerminalId } from '../domain/ids.ts';
import { checkCardApPin } from '../domain/installSpec.ts';
import { loadOnCard } from '../cardops/load.ts';
import { deleteOnCard } from '../cardops/delete.ts';
import { moveIn } from '../cardops/moveIn.ts';
import { diagnose } from '../cardops/diagnose.ts';
import { resetPin } from '../cardops/resetPin.ts';
import { exportKeyPackage } from '../store/keyPackages.ts';
import { setAutoLoad } from '../store/terminals.ts';

const ok = (body: unknown, status = 200) => ({ status, body });

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

const hexBytes = (maxBytes: number) =>
  z
    .string()
    .max(maxBytes * 2)
    .regex(/^([0-9A-Fa-f]{2})*$/, 'hex bytes');

const consentGiven = z
  .object({
    method: z.enum(['counter_form', 'counter_signature', 'online']),
    note: z.string().max(500).optional(),
  })
  .strict();

const loadJob = z
  .object({
    op: z.literal('load'),
    terminalId: terminalIdSchema,
    /** Absent or empty: the terminal's auto-load preset. */
    cardAps: z
      .array(
        z
          .object({
            cardApId: opaqueIdSchema,
            area: areaSchema.optional(),
            /** This holder's data (hex), replacing the version's initial data. */
            data: hexBytes(4096).optional(),
            /** The PIN the holder chose (types A, D, protected custom). Never stored or logged. */
            pin: z.string().min(1).max(16).optional(),
          })
          .strict(),
      )
      .max(20)
      .optional(),
    consent: consentGiven,
    holderMunicipality: municipalityCodeSchema.optional(),
    overrideHours: z.boolean().optional(),
    batchId: opaqueIdSchema.optional(),
  })
  .strict();

const deleteJob = z
  .object({
    op: z.literal('delete'),
    terminalId: terminalIdSchema,
    cardApIds: z.array(opaqueIdSchema).min(1).max(20),
    consent: consentGiven,
    holderMunicipality: municipalityCodeSchema.optional(),
    overrideHours: z.boolean().optional(),
  })
  .strict();

const diagnoseJob = z.object({ op: z.literal('diagnose'), terminalId: terminalIdSchema }).strict();

const resetPinJob = z
  .object({
    op: z.literal('reset_pin'),
    terminalId: terminalIdSchema,
    cardApId: opaqueIdSchema,
    /** The holder's new PIN; left out for a system-fixed PIN. Never stored or logged. */
    pin: z.string().min(1).max(16).optional(),
    consent: consentGiven,
    overrideHours: z.boolean().optional(),
  })
  .strict();

const moveInJob = z
  .object({
    op: z.literal('move_in'),
    terminalId: terminalIdSchema,
    toMunicipality: municipalityCodeSchema,
    overrideHours: z.boolean().optional(),
  })
  .strict();

export const jobBody = z.discriminatedUnion('op', [
  loadJob,
  deleteJob,
  diagnoseJob,
  moveInJob,
  resetPinJob,
]);

/** The terminal's answer to command `seq`: the response APDU (hex), or why there is none. */
export const exchangeBody = z.union([
  z
    .object({
      seq: z.number().int().min(1).max(1_000_000),
      // A response APDU: data (short APDUs: ≤ 256 bytes, plus MAC and padding) + SW1 SW2.
      response: hexBytes(1024).refine((h) => h.length >= 4, 'at least SW1 SW2'),
    })
    .strict(),
  z
    .object({
      seq: z.number().int().min(1).max(1_000_000),
      error: z.enum(['CARD_REMOVED', 'NO_CARD', 'PCSC_ERROR']),
    })
    .strict(),
]);

const jobView = z.object({
  id: z.string(),
  op: z.enum(['load', 'delete', 'diagnose', 'move_in', 'reset_pin']),
  state: z.enum(['running', 'done', 'failed']),
  seq: z.number(),
  command: z.string().optional(),
  result: z.unknown().optional(),
  error: z.unknown().optional(),
  apdus: z.number(),
});

export const cardRoutes: readonly Route[] = [
  route({
    method: 'POST',
    path: '/v1/jobs',
    summary:
      'Start a card operation at a terminal (load, delete, diagnose, move_in, reset_pin); answers with the first command APDU to relay',
    tag: 'card jobs',
    auth: true,
    body: jobBody,
    response: jobView,
    status: 201,
    async handler(ctx, { session, body }) {
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
        await ctx.jobs.start(
          session.operatorId,
          body.op,
          auditedRun(ctx, session, body.op, terminalId, run),
        ),
        201,
      );
    },
  }),
  route({
    method: 'POST',
    path: '/v1/jobs/:id/exchange',
    summary:
      'Relay the card’s answer to the job’s command `seq`; answers with the next command or the end',
    tag: 'card jobs',
    auth: true,
    params: idParams,
    body: exchangeBody,
    response: jobView,
    async handler(ctx, { session, params, body }) {
      const answer = 'response' in body ? fromHex(body.response) : body.error;
      return ok(await ctx.jobs.exchange(session.operatorId, params.id, body.seq, answer));
    },
  }),
  route({
    method: 'GET',
    path: '/v1/jobs/:id',
    summary: 'A card job of yours: its state, command, result or error',
    tag: 'card jobs',
    auth: true,
    params: idParams,
    response: jobView,
    async handler(ctx, { session, params }) {
      return ok(ctx.jobs.get(session.operatorId, params.id));
    },
  }),
  route({
    method: 'POST',
    path: '/v1/jobs/:id/cancel',
    summary: 'Cancel a running card job (as if the card were pulled away); nothing is lost',
    tag: 'card jobs',
    auth: true,
    params: idParams,
    response: jobView,
    async handler(ctx, { session, params }) {
      return ok(await ctx.jobs.cancel(session.operatorId, params.id));
    },
  }),
  route({
    method: 'GET',
    path: '/v1/card-aps/:id/keys',
    summary:
      'The card AP’s key package (master keys) for the provider’s business systems; audited (administrators of the owner and of its users)',
    tag: 'card APs',
    auth: true,
    params: idParams,
    async handler(ctx, { session, params }) {
      return ok(await exportKeyPackage(ctx, session, params.id));
    },
  }),
  route({
    method: 'POST',
    path: '/v1/terminals/:id/auto-load',
    summary: 'Replace a terminal’s auto-load preset (自動搭載)',
    tag: 'operators',
    auth: true,
    params: terminalParams,
    body: z.object({ autoLoad: autoLoadSchema }).strict(),
    async handler(ctx, { session, params, body }) {
      return ok({
        id: params.id,
        autoLoad: await setAutoLoad(ctx, session, params.id, body.autoLoad),
      });
    },
  }),
];
