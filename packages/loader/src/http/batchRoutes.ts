/** Bulk loading (一括搭載): a batch groups the loads of one terminal before hand-over. */
import { z } from 'zod';
import { route, type Route } from './route.ts';
import { idParams, opaqueIdSchema, terminalIdSchema } from './schemas.ts';
import type { TerminalId } from '../domain/ids.ts';
import { closeBatch, createBatch, getBatch } from '../store/batches.ts';

const ok = (body: unknown, status = 200) => ({ status, body });

export const batchRoutes: readonly Route[] = [
  route({
    method: 'POST',
    path: '/v1/batches',
    summary: 'Open a bulk loading batch at a terminal (loads then name it as batchId)',
    tag: 'card jobs',
    auth: true,
    body: z
      .object({
        terminalId: terminalIdSchema,
        cardApIds: z.array(opaqueIdSchema).min(1).max(20),
        note: z.string().max(500).optional(),
      })
      .strict(),
    status: 201,
    async handler(ctx, { session, body }) {
      return ok(
        await createBatch(ctx, session, {
          terminalId: body.terminalId as TerminalId,
          cardApIds: body.cardApIds,
          note: body.note,
        }),
        201,
      );
    },
  }),
  route({
    method: 'GET',
    path: '/v1/batches/:id',
    summary: 'A batch with its counts (cards, loaded, failed, unfinished)',
    tag: 'card jobs',
    auth: true,
    params: idParams,
    async handler(ctx, { session, params }) {
      return ok(await getBatch(ctx, session, params.id));
    },
  }),
  route({
    method: 'POST',
    path: '/v1/batches/:id/close',
    summary: 'Close a batch (done, or cancelled); its loads stay',
    tag: 'card jobs',
    auth: true,
    params: idParams,
    body: z.object({ state: z.enum(['done', 'cancelled']).default('done') }).strict(),
    async handler(ctx, { session, params, body }) {
      return ok(await closeBatch(ctx, session, params.id, body.state));
    },
  }),
];
