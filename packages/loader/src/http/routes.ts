/**
 * The loader's route groups, each a Fastify plugin of its own (http/server.ts
 * registers them): the core (auth, providers, operators, terminals, card APs,
 * cards, settings), the audit log, the card jobs, the status feed and the batches.
 * Each route is a contract operation (contract/api.ts) with its handler.
 */
import { route, ok, type Route } from './route.ts';
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
  setCardApCarryOver,
} from '../store/cardAps.ts';
import { listInstances, recordConsent } from '../store/instances.ts';
import {
  changeOwnPassword,
  resetOperatorPassword,
  setOperatorStatus,
  unlockOperator,
} from '../store/operatorAdmin.ts';
import { currentServiceHours, serviceHoursView, setServiceHours } from '../store/settings.ts';
import { databaseAnswers } from '../store/health.ts';
import { serviceHoursAt } from '../domain/rules/serviceHours.ts';
import type { NewProvider } from '../domain/provider.ts';
import type { ProviderId, TerminalId, CardApId, CardId } from '../domain/ids.ts';
import { cardRoutes } from './cardRoutes.ts';
import { auditRoutes } from './auditRoutes.ts';
import { feedRoutes } from './feedRoutes.ts';
import { batchRoutes } from './batchRoutes.ts';
import { clientRoutes, oauthRoutes } from './clientRoutes.ts';

export const coreRoutes: readonly Route[] = [
  route('health', async (ctx) => {
    await databaseAnswers(ctx.db);
    return ok({ status: 'ok' as const, db: ctx.db.kind });
  }),
  route('login', async (ctx, { body }) => ok(await login(ctx, body.login, body.password))),
  route('logout', async (ctx, { session, token }) => {
    await logout(ctx, session, token);
    return ok({ ok: true as const });
  }),
  route('me', async (_ctx, { session }) =>
    ok({ ...session, expiresAt: session.expiresAt.toISOString() }),
  ),
  route('listProviders', async (ctx, { session }) =>
    ok((await listProviders(ctx, session)).map(providerView)),
  ),
  route('createProvider', async (ctx, { session, body }) => {
    const p = await createProvider(ctx, session, body as unknown as NewProvider);
    return ok(providerView(p), 201);
  }),
  route('getProvider', async (ctx, { session, params }) =>
    ok(providerView(await getProvider(ctx, session, params.id))),
  ),
  route('setProviderStatus', async (ctx, { session, params, body }) =>
    ok(providerView(await setProviderStatus(ctx, session, params.id, body.status))),
  ),
  route('listOperators', async (ctx, { session, query }) =>
    ok(await listOperators(ctx, session, query.providerId)),
  ),
  route('createOperator', async (ctx, { session, body }) => {
    const op = await createOperator(ctx, session, {
      login: body.login,
      displayName: body.displayName,
      role: body.role,
      providerId: body.providerId as ProviderId | null,
      password: body.password,
      terminals: body.terminals as TerminalId[],
    });
    return ok(op, 201);
  }),
  route('listTerminals', async (ctx, { session }) => ok(await listTerminals(ctx, session))),
  route('createTerminal', async (ctx, { session, body }) => {
    const t = await createTerminal(ctx, session, {
      id: body.id as TerminalId,
      providerId: body.providerId as ProviderId,
      name: body.name,
      autoLoad: body.autoLoad,
    });
    return ok(t, 201);
  }),
  route('listCardAps', async (ctx, { session, query }) =>
    ok(await listCardAps(ctx, session, query)),
  ),
  route('requestCardAp', async (ctx, { session, body }) => {
    const { providerId, ...req } = body;
    return ok(await requestCardAp(ctx, session, providerId as ProviderId, req), 201);
  }),
  route('getCardAp', async (ctx, { session, params }) =>
    ok(await getCardAp(ctx, session, params.id)),
  ),
  route('requestNewVersion', async (ctx, { session, params, body }) =>
    ok(await requestNewVersion(ctx, session, params.id, body)),
  ),
  route('approveCardAp', async (ctx, { session, params, body }) =>
    ok(await approveCardAp(ctx, session, params.id, body)),
  ),
  route('setCardApStatus', async (ctx, { session, params, body }) =>
    ok(await setCardApStatus(ctx, session, params.id, body.status)),
  ),
  route('setCardApCarryOver', async (ctx, { session, params, body }) =>
    ok(await setCardApCarryOver(ctx, session, params.id, body.allowed)),
  ),
  route('addCardApUser', async (ctx, { session, params, body }) =>
    ok(await addCardApUser(ctx, session, params.id, body.providerId as ProviderId, body.relation)),
  ),
  route('recordConsent', async (ctx, { session, body }) => {
    const id = await recordConsent(ctx, session, body.terminalId as TerminalId, {
      cardId: body.cardId as CardId,
      cardApId: body.cardApId as CardApId,
      purpose: body.purpose,
      method: body.method,
      note: body.note,
    });
    return ok({ id }, 201);
  }),
  route('listInstances', async (ctx, { session, params }) =>
    ok(await listInstances(ctx, session, params.cardId)),
  ),
  route('unlockOperator', async (ctx, { session, params }) => {
    await unlockOperator(ctx, session, params.id);
    return ok({ ok: true as const });
  }),
  route('setOperatorStatus', async (ctx, { session, params, body }) => {
    await setOperatorStatus(ctx, session, params.id, body.status);
    return ok({ ok: true as const });
  }),
  route('resetOperatorPassword', async (ctx, { session, params, body }) => {
    await resetOperatorPassword(ctx, session, params.id, body.password);
    return ok({ ok: true as const });
  }),
  route('changeOwnPassword', async (ctx, { session, body, token }) => {
    await changeOwnPassword(ctx, session, body.current, body.password, token);
    return ok({ ok: true as const });
  }),
  route('getServiceHours', async (ctx) =>
    ok(serviceHoursView(await currentServiceHours(ctx.db, ctx.config.serviceHours))),
  ),
  route('setServiceHours', async (ctx, { session, body }) =>
    ok(serviceHoursView(await setServiceHours(ctx, session, body))),
  ),
  route('serviceHoursNow', async (ctx, { query }) => {
    const at = query.at ? new Date(query.at) : ctx.now();
    const hours = await currentServiceHours(ctx.db, ctx.config.serviceHours);
    return ok({ at: at.toISOString(), ...serviceHoursAt(at, hours) });
  }),
];

/** The route groups, each registered as its own (encapsulated) Fastify plugin. */
export const ROUTE_GROUPS: Readonly<Record<string, readonly Route[]>> = {
  core: coreRoutes,
  cardJobs: cardRoutes,
  audit: auditRoutes,
  feed: feedRoutes,
  batches: batchRoutes,
  clients: clientRoutes,
  oauth: oauthRoutes,
};

/** Every route of the loading system's API, in one list (tests, the OpenAPI document). */
export const routes: readonly Route[] = Object.values(ROUTE_GROUPS).flat();
