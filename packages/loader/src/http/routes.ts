/** Every route of the loading system's API. */
import { z } from 'zod';
import { route, type Route } from './route.ts';
import {
  approveBody,
  cardApRequestBody,
  cardApStatusBody,
  cardApUserBody,
  cardParams,
  consentBody,
  idParams,
  intString,
  loginBody,
  newOperatorBody,
  newProviderBody,
  newTerminalBody,
  noQuery,
  providerIdSchema,
  providerParams,
  providerStatusBody,
} from './schemas.ts';
import {
  createProvider,
  getProvider,
  listProviders,
  providerView,
  setProviderStatus,
} from '../store/providers.ts';
import { createOperator, listOperators, login, logout } from '../store/operators.ts';
import { createTerminal, listTerminals } from '../store/terminals.ts';
import {
  addCardApUser,
  approveCardAp,
  getCardAp,
  listCardAps,
  requestCardAp,
  requestNewVersion,
  setCardApStatus,
} from '../store/cardAps.ts';
import { listInstances, recordConsent } from '../store/instances.ts';
import {
  changeOwnPassword,
  resetOperatorPassword,
  setOperatorStatus,
  unlockOperator,
} from '../store/operatorAdmin.ts';
import {
  currentServiceHours,
  serviceHoursBody,
  serviceHoursView,
  setServiceHours,
} from '../store/settings.ts';
import { listAudit, verifyAudit } from '../audit.ts';
import { authorize } from '../store/context.ts';
import { serviceHoursAt } from '../domain/rules/serviceHours.ts';
import type { NewProvider } from '../domain/provider.ts';
import type { ProviderId, TerminalId, CardApId, CardId } from '../domain/ids.ts';
import type { Role } from '../domain/roles.ts';
import { cardApRequestSchema, type CardApStatus } from '../domain/cardAp.ts';
import { cardRoutes } from './cardRoutes.ts';
import { feedRoutes } from './feedRoutes.ts';
import { batchRoutes } from './batchRoutes.ts';

const ok = (body: unknown, status = 200) => ({ status, body });

export const routes: readonly Route[] = [
  route({
    method: 'GET',
    path: '/healthz',
    summary: 'Liveness and database check',
    tag: 'system',
    auth: false,
    response: z.object({ status: z.literal('ok'), db: z.string() }),
    async handler(ctx) {
      await ctx.db.query('SELECT 1');
      return ok({ status: 'ok', db: ctx.db.kind });
    },
  }),
  route({
    method: 'POST',
    path: '/v1/login',
    summary: 'Log in with login name and password; returns a session token',
    tag: 'auth',
    auth: false,
    body: loginBody,
    response: z.object({ token: z.string(), expiresAt: z.string(), operator: z.unknown() }),
    async handler(ctx, { body }) {
      return ok(await login(ctx, body.login, body.password));
    },
  }),
  route({
    method: 'POST',
    path: '/v1/logout',
    summary: 'Revoke the current session token',
    tag: 'auth',
    auth: true,
    async handler(ctx, { session, token }) {
      await logout(ctx, session, token);
      return ok({ ok: true });
    },
  }),
  route({
    method: 'GET',
    path: '/v1/me',
    summary: 'The operator behind the token',
    tag: 'auth',
    auth: true,
    async handler(_ctx, { session }) {
      return ok({ ...session, expiresAt: session.expiresAt.toISOString() });
    },
  }),
  route({
    method: 'GET',
    path: '/v1/providers',
    summary: 'List service providers (サービス提供者) in scope',
    tag: 'providers',
    auth: true,
    async handler(ctx, { session }) {
      return ok((await listProviders(ctx, session)).map(providerView));
    },
  }),
  route({
    method: 'POST',
    path: '/v1/providers',
    summary: 'Register a service provider (platform operators)',
    tag: 'providers',
    auth: true,
    body: newProviderBody,
    status: 201,
    async handler(ctx, { session, body }) {
      const p = await createProvider(ctx, session, body as unknown as NewProvider);
      return ok(providerView(p), 201);
    },
  }),
  route({
    method: 'GET',
    path: '/v1/providers/:id',
    summary: 'One service provider',
    tag: 'providers',
    auth: true,
    params: providerParams,
    async handler(ctx, { session, params }) {
      return ok(providerView(await getProvider(ctx, session, params.id)));
    },
  }),
  route({
    method: 'POST',
    path: '/v1/providers/:id/status',
    summary: 'Suspend, reactivate or retire a provider (platform operators)',
    tag: 'providers',
    auth: true,
    params: providerParams,
    body: providerStatusBody,
    async handler(ctx, { session, params, body }) {
      return ok(providerView(await setProviderStatus(ctx, session, params.id, body.status)));
    },
  }),
  route({
    method: 'GET',
    path: '/v1/operators',
    summary: 'List operators (オペレーター) in scope',
    tag: 'operators',
    auth: true,
    query: z.object({ providerId: providerIdSchema.optional() }).strict(),
    async handler(ctx, { session, query }) {
      return ok(await listOperators(ctx, session, query.providerId));
    },
  }),
  route({
    method: 'POST',
    path: '/v1/operators',
    summary: 'Create an operator bound to a provider and terminals',
    tag: 'operators',
    auth: true,
    body: newOperatorBody,
    status: 201,
    async handler(ctx, { session, body }) {
      const op = await createOperator(ctx, session, {
        login: body.login,
        displayName: body.displayName,
        role: body.role as Role,
        providerId: body.providerId as ProviderId | null,
        password: body.password,
        terminals: body.terminals as TerminalId[],
      });
      return ok(op, 201);
    },
  }),
  route({
    method: 'GET',
    path: '/v1/terminals',
    summary: 'List loading terminals (搭載端末) in scope',
    tag: 'operators',
    auth: true,
    async handler(ctx, { session }) {
      return ok(await listTerminals(ctx, session));
    },
  }),
  route({
    method: 'POST',
    path: '/v1/terminals',
    summary: 'Register a loading terminal, with its auto-load preset (自動搭載)',
    tag: 'operators',
    auth: true,
    body: newTerminalBody,
    status: 201,
    async handler(ctx, { session, body }) {
      const t = await createTerminal(ctx, session, {
        id: body.id as TerminalId,
        providerId: body.providerId as ProviderId,
        name: body.name,
        autoLoad: body.autoLoad,
      });
      return ok(t, 201);
    },
  }),
  route({
    method: 'GET',
    path: '/v1/card-aps',
    summary: 'List card APs (カードAP) in scope',
    tag: 'card APs',
    auth: true,
    query: z
      .object({
        providerId: providerIdSchema.optional(),
        status: z.enum(['requested', 'approved', 'rejected', 'suspended', 'retired']).optional(),
      })
      .strict(),
    async handler(ctx, { session, query }) {
      return ok(
        await listCardAps(ctx, session, query as { providerId?: string; status?: CardApStatus }),
      );
    },
  }),
  route({
    method: 'POST',
    path: '/v1/card-aps',
    summary: 'Request a card AP (カードAP登録依頼): type A, C, D or custom',
    tag: 'card APs',
    auth: true,
    body: cardApRequestBody,
    status: 201,
    async handler(ctx, { session, body }) {
      const { providerId, ...req } = body;
      return ok(await requestCardAp(ctx, session, providerId as ProviderId, req), 201);
    },
  }),
  route({
    method: 'GET',
    path: '/v1/card-aps/:id',
    summary: 'One card AP',
    tag: 'card APs',
    auth: true,
    params: idParams,
    async handler(ctx, { session, params }) {
      return ok(await getCardAp(ctx, session, params.id));
    },
  }),
  route({
    method: 'POST',
    path: '/v1/card-aps/:id/versions',
    summary: 'Request a new version of a card AP (same AID and type)',
    tag: 'card APs',
    auth: true,
    params: idParams,
    body: cardApRequestSchema,
    async handler(ctx, { session, params, body }) {
      return ok(await requestNewVersion(ctx, session, params.id, body));
    },
  }),
  route({
    method: 'POST',
    path: '/v1/card-aps/:id/approve',
    summary: 'Approve the pending request: assigns the AID, fixes size and access (platform)',
    tag: 'card APs',
    auth: true,
    params: idParams,
    body: approveBody,
    async handler(ctx, { session, params, body }) {
      return ok(await approveCardAp(ctx, session, params.id, body));
    },
  }),
  route({
    method: 'POST',
    path: '/v1/card-aps/:id/status',
    summary: 'Reject, suspend, resume (approved) or retire a card AP',
    tag: 'card APs',
    auth: true,
    params: idParams,
    body: cardApStatusBody,
    async handler(ctx, { session, params, body }) {
      return ok(await setCardApStatus(ctx, session, params.id, body.status));
    },
  }),
  route({
    method: 'POST',
    path: '/v1/card-aps/:id/users',
    summary: 'Let a partner store (提携店) or a joint user (共同利用) use the card AP (platform)',
    tag: 'card APs',
    auth: true,
    params: idParams,
    body: cardApUserBody,
    async handler(ctx, { session, params, body }) {
      return ok(
        await addCardApUser(ctx, session, params.id, body.providerId as ProviderId, body.relation),
      );
    },
  }),
  route({
    method: 'POST',
    path: '/v1/consents',
    summary: 'Record the holder’s consent (本人の希望) to load or delete a card AP',
    tag: 'cards',
    auth: true,
    body: consentBody,
    status: 201,
    async handler(ctx, { session, body }) {
      const id = await recordConsent(ctx, session, body.terminalId as TerminalId, {
        cardId: body.cardId as CardId,
        cardApId: body.cardApId as CardApId,
        purpose: body.purpose,
        method: body.method,
        note: body.note,
      });
      return ok({ id }, 201);
    },
  }),
  route({
    method: 'GET',
    path: '/v1/cards/:cardId/instances',
    summary: 'Card AP instances recorded for a card (own provider’s, or all for the platform)',
    tag: 'cards',
    auth: true,
    params: cardParams,
    async handler(ctx, { session, params }) {
      return ok(await listInstances(ctx, session, params.cardId));
    },
  }),
  route({
    method: 'POST',
    path: '/v1/operators/:id/unlock',
    summary: 'Clear a lockout (administrator of the provider, or platform)',
    tag: 'operators',
    auth: true,
    params: idParams,
    async handler(ctx, { session, params }) {
      await unlockOperator(ctx, session, params.id);
      return ok({ ok: true });
    },
  }),
  route({
    method: 'POST',
    path: '/v1/operators/:id/status',
    summary: 'Disable (ends its sessions) or enable an operator',
    tag: 'operators',
    auth: true,
    params: idParams,
    body: z.object({ status: z.enum(['active', 'disabled']) }).strict(),
    async handler(ctx, { session, params, body }) {
      await setOperatorStatus(ctx, session, params.id, body.status);
      return ok({ ok: true });
    },
  }),
  route({
    method: 'POST',
    path: '/v1/operators/:id/password',
    summary: 'Reset an operator’s password (ends its sessions)',
    tag: 'operators',
    auth: true,
    params: idParams,
    body: z.object({ password: z.string().min(1).max(1024) }).strict(),
    async handler(ctx, { session, params, body }) {
      await resetOperatorPassword(ctx, session, params.id, body.password);
      return ok({ ok: true });
    },
  }),
  route({
    method: 'POST',
    path: '/v1/me/password',
    summary: 'Change your own password (other sessions end)',
    tag: 'auth',
    auth: true,
    body: z
      .object({ current: z.string().min(1).max(1024), password: z.string().min(1).max(1024) })
      .strict(),
    async handler(ctx, { session, body, token }) {
      await changeOwnPassword(ctx, session, body.current, body.password, token);
      return ok({ ok: true });
    },
  }),
  route({
    method: 'GET',
    path: '/v1/settings/service-hours',
    summary: 'The service hours in force (Japan time)',
    tag: 'cards',
    auth: true,
    response: serviceHoursBody,
    async handler(ctx) {
      return ok(serviceHoursView(await currentServiceHours(ctx.db, ctx.config.serviceHours)));
    },
  }),
  route({
    method: 'POST',
    path: '/v1/settings/service-hours',
    summary: 'Change the service hours (platform)',
    tag: 'cards',
    auth: true,
    body: serviceHoursBody,
    async handler(ctx, { session, body }) {
      return ok(serviceHoursView(await setServiceHours(ctx, session, body)));
    },
  }),
  route({
    method: 'GET',
    path: '/v1/service-hours',
    summary: 'Whether loading is open now (or at `at`)',
    tag: 'cards',
    auth: true,
    query: z.object({ at: z.iso.datetime({ offset: true }).optional() }).strict(),
    async handler(ctx, { query }) {
      const at = query.at ? new Date(query.at) : ctx.now();
      const hours = await currentServiceHours(ctx.db, ctx.config.serviceHours);
      return ok({ at: at.toISOString(), ...serviceHoursAt(at, hours) });
    },
  }),
  route({
    method: 'GET',
    path: '/v1/audit',
    summary: 'Read the audit log (監査ログ): all for the platform, own provider’s otherwise',
    tag: 'audit',
    auth: true,
    query: z
      .object({
        after: intString(Number.MAX_SAFE_INTEGER).optional(),
        limit: intString(1000).optional(),
      })
      .strict(),
    async handler(ctx, { session, query }) {
      authorize(
        session,
        'audit.read',
        session.role === 'platform' ? {} : { providerId: session.providerId },
      );
      return ok(
        await listAudit(ctx.db, {
          afterSeq: query.after ?? 0,
          limit: query.limit ?? 100,
          ...(session.role === 'platform' ? {} : { providerId: session.providerId ?? '' }),
        }),
      );
    },
  }),
  route({
    method: 'GET',
    path: '/v1/audit/verify',
    summary: 'Walk the hash chain and report the first tampered row',
    tag: 'audit',
    auth: true,
    query: noQuery,
    async handler(ctx, { session }) {
      authorize(
        session,
        'audit.verify',
        session.role === 'platform' ? {} : { providerId: session.providerId },
      );
      return ok(await verifyAudit(ctx.db));
    },
  }),
  ...cardRoutes,
  ...feedRoutes,
  ...batchRoutes,
];
