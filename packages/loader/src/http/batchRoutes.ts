/** Bulk loading (一括搭載): a batch groups the loads of one terminal before hand-over. */
import { route, ok, type Route } from './route.ts';
import type { TerminalId } from '../domain/ids.ts';
import { closeBatch, createBatch, getBatch, listBatches } from '../store/batches.ts';

export const batchRoutes: readonly Route[] = [
  route('createBatch', async (ctx, { session, body }) => {
    return ok(
      await createBatch(ctx, session, {
        terminalId: body.terminalId as TerminalId,
        cardApIds: body.cardApIds,
        note: body.note,
      }),
      201,
    );
  }),
  route('listBatches', async (ctx, { session, query }) => {
    return ok(await listBatches(ctx, session, query));
  }),
  route('getBatch', async (ctx, { session, params }) => {
    return ok(await getBatch(ctx, session, params.id));
  }),
  route('closeBatch', async (ctx, { session, params, body }) => {
    return ok(await closeBatch(ctx, session, params.id, body.state));
  }),
];
