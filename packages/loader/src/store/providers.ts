/** サービス提供者 in the database. */
import { LoaderError, notFound } from '../errors.ts';
import type { Queryable } from '@myna-ap/db';
import { appendAudit, writeTransaction } from './audit.ts';
import {
  aidPrefixFor,
  checkNewProvider,
  type NewProvider,
  type Provider,
  type ProviderStatus,
} from '../domain/provider.ts';
import type { ProviderId } from '../domain/ids.ts';
import { uniqueViolation } from '@myna-ap/db';
import { authorize, type Ctx, type Session } from './context.ts';
import { hexUpper } from './rows.ts';

interface ProviderRow {
  id: string;
  name: string;
  kind: Provider['kind'];
  municipality_code: string | null;
  prefecture_code: string | null;
  legal_basis: Provider['legalBasis'];
  contact: Provider['contact'];
  status: ProviderStatus;
  representative_id: string | null;
  can_load: boolean;
  aid_prefix: Uint8Array;
  aid_next: number;
}

export function providerFromRow(r: ProviderRow): Provider {
  return {
    id: r.id as ProviderId,
    name: r.name,
    kind: r.kind,
    municipalityCode: r.municipality_code,
    prefectureCode: r.prefecture_code,
    legalBasis: r.legal_basis,
    contact: r.contact,
    status: r.status,
    representativeId: r.representative_id as ProviderId | null,
    canLoad: r.can_load,
    aidPrefix: Uint8Array.from(r.aid_prefix),
    aidNext: Number(r.aid_next),
  };
}

/** The provider as the API shows it. */
export function providerView(p: Provider) {
  return {
    id: p.id,
    name: p.name,
    kind: p.kind,
    municipalityCode: p.municipalityCode,
    prefectureCode: p.prefectureCode,
    legalBasis: p.legalBasis,
    contact: p.contact,
    status: p.status,
    representativeId: p.representativeId,
    canLoad: p.canLoad,
    aidRange: { prefix: hexUpper(p.aidPrefix), used: p.aidNext, size: 256 },
  };
}
export type ProviderView = ReturnType<typeof providerView>;

export async function findProvider(
  q: Queryable,
  id: string,
  lock = false,
): Promise<Provider | undefined> {
  const r = await q.query<ProviderRow>(
    `SELECT * FROM providers WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  const row = r.rows[0];
  return row ? providerFromRow(row) : undefined;
}

export async function getProvider(ctx: Ctx, s: Session, id: string): Promise<Provider> {
  const p = await findProvider(ctx.db, id);
  // Out of scope looks the same as absent: no probing other providers' IDs.
  if (!p || (s.role !== 'platform' && s.providerId !== p.id)) throw notFound('provider', id);
  authorize(s, 'provider.read', { providerId: p.id });
  return p;
}

export async function listProviders(ctx: Ctx, s: Session): Promise<Provider[]> {
  authorize(s, 'provider.read', s.role === 'platform' ? {} : { providerId: s.providerId });
  const r =
    s.role === 'platform'
      ? await ctx.db.query<ProviderRow>('SELECT * FROM providers ORDER BY id')
      : await ctx.db.query<ProviderRow>('SELECT * FROM providers WHERE id = $1', [s.providerId]);
  return r.rows.map(providerFromRow);
}

export async function createProvider(ctx: Ctx, s: Session, input: NewProvider): Promise<Provider> {
  authorize(s, 'provider.create');
  return writeTransaction(ctx.db, async (tx) => {
    const rep = input.representativeId ? await findProvider(tx, input.representativeId) : undefined;
    checkNewProvider(input, rep);
    const n = await tx.query<{ n: number }>("SELECT nextval('provider_aid_seq')::int AS n");
    const prefix = aidPrefixFor(Number(n.rows[0]?.n));
    try {
      await tx.query(
        `INSERT INTO providers (id, name, kind, municipality_code, prefecture_code, legal_basis,
           contact, representative_id, can_load, aid_prefix)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9, $10)`,
        [
          input.id,
          input.name,
          input.kind,
          input.municipalityCode ?? null,
          input.prefectureCode ?? null,
          JSON.stringify(input.legalBasis),
          JSON.stringify(input.contact),
          input.representativeId ?? null,
          input.representativeId === undefined,
          prefix,
        ],
      );
    } catch (e) {
      if (uniqueViolation(e) !== undefined) {
        throw new LoaderError(
          'PROVIDER_EXISTS',
          {
            en: `provider ${input.id} already exists`,
            ja: `サービス提供者 ${input.id} は登録済みです`,
          },
          409,
        );
      }
      throw e;
    }
    const p = await findProvider(tx, input.id);
    if (!p) throw new Error('provider vanished inside its own transaction');
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'provider.create',
        target: p.id,
        detail: { providerId: p.id, kind: p.kind, representativeId: p.representativeId },
      },
      ctx.now(),
    );
    return p;
  });
}

export async function setProviderStatus(
  ctx: Ctx,
  s: Session,
  id: string,
  status: ProviderStatus,
): Promise<Provider> {
  authorize(s, 'provider.create'); // only the platform changes a provider's standing
  return writeTransaction(ctx.db, async (tx) => {
    const p = await findProvider(tx, id, true);
    if (!p) throw notFound('provider', id);
    if (p.status === 'retired' && status !== 'retired') {
      throw new LoaderError(
        'PROVIDER_RETIRED',
        { en: 'a retired provider cannot come back', ja: '廃止したサービス提供者は戻せません' },
        409,
      );
    }
    await tx.query('UPDATE providers SET status = $2 WHERE id = $1', [id, status]);
    await appendAudit(
      tx,
      {
        actor: s.operatorId,
        action: 'provider.status',
        target: id,
        detail: { providerId: id, from: p.status, to: status },
      },
      ctx.now(),
    );
    return { ...p, status };
  });
}
