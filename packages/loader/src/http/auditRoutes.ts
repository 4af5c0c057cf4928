/**
 * The audit log's routes (監査ログ, docs/audit.md): the rows, verify, the newest
 * signed checkpoint, a row's inclusion proof and the consistency proof between
 * two checkpoints. What is pending is sequenced first, so an answer covers every
 * row committed before the request.
 */
import { route, ok, type Route } from './route.ts';
import {
  auditConsistencyProof,
  auditInclusionProof,
  listAudit,
  sequenceAllAudit,
  verifyAudit,
} from '../store/audit.ts';
import { authorize, type Ctx } from '../store/context.ts';
import { notFound } from '../errors.ts';

async function sequenced(ctx: Ctx) {
  const signer = await ctx.auditSigner?.();
  const checkpoint = await sequenceAllAudit(ctx.db, { signer, now: ctx.now() });
  return { signer, checkpoint };
}

export const auditRoutes: Route[] = [
  route('listAudit', async (ctx, { session, query }) => {
    authorize(
      session,
      'audit.read',
      session.role === 'platform' ? {} : { providerId: session.providerId },
    );
    await sequenced(ctx);
    return ok(
      await listAudit(ctx.db, {
        afterSeq: query.after ?? 0,
        limit: query.limit ?? 100,
        ...(session.role === 'platform' ? {} : { providerId: session.providerId ?? '' }),
      }),
    );
  }),
  route('verifyAudit', async (ctx, { session }) => {
    authorize(
      session,
      'audit.verify',
      session.role === 'platform' ? {} : { providerId: session.providerId },
    );
    const { signer } = await sequenced(ctx);
    return ok(await verifyAudit(ctx.db, { publicKey: signer?.publicKey }));
  }),
  route('auditCheckpoint', async (ctx) => {
    const { signer, checkpoint } = await sequenced(ctx);
    if (!checkpoint) throw noCheckpoint();
    return ok({
      checkpoint,
      publicKey: signer ? Buffer.from(signer.publicKey).toString('base64') : null,
    });
  }),
  route('auditProof', async (ctx, { session, query }) => {
    authorize(
      session,
      'audit.read',
      session.role === 'platform' ? {} : { providerId: session.providerId },
    );
    await sequenced(ctx);
    const p = await auditInclusionProof(ctx.db, query.seq, query.size);
    // A provider's auditors see their own rows only; another's is "not found".
    if (session.role !== 'platform' && p.row.detail.providerId !== session.providerId)
      throw notFound('audit row', String(query.seq));
    return ok(p);
  }),
  route('auditConsistency', async (ctx, { query }) => {
    await sequenced(ctx);
    return ok(await auditConsistencyProof(ctx.db, query.from, query.to));
  }),
];

function noCheckpoint() {
  return notFound('audit checkpoint', 'latest');
}
