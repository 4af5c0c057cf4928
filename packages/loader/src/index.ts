/** @myna-ap/loader — the card AP loading system (カードAP搭載システム). */
export * from './errors.ts';
export { loaderMigrations } from './migrations.ts';
export {
  planLoad,
  type LoadPlan,
  type PlannedCardAp,
  type ReservableCardAp,
} from './store/loadPlan.ts';
export * from './domain/ids.ts';
export * from './domain/provider.ts';
export * from './domain/roles.ts';
export * from './domain/password.ts';
export * from './domain/login.ts';
export * from './domain/cardAp.ts';
export * from './domain/saga.ts';
export * from './domain/rules/area.ts';
export * from './domain/rules/serviceHours.ts';
export * from './domain/rules/capacity.ts';
export * from './domain/rules/userId.ts';
export * from './audit.ts';
export * from './store/context.ts';
export * from './store/config.ts';
export * from './store/providers.ts';
export * from './store/operators.ts';
export * from './store/terminals.ts';
export * from './store/cardAps.ts';
export * from './store/instances.ts';
export * from './store/operatorAdmin.ts';
export * from './store/settings.ts';
export { buildServer, API_VERSION, type ServerOptions } from './http/server.ts';
export { routes } from './http/routes.ts';
export { openApiDocument } from './http/openapi.ts';
export type { Route } from './http/route.ts';
export { startServer, type ServeOptions, type RunningServer } from './serve.ts';
export * from './credentials.ts';
export { ApiClient, ApiError } from './client.ts';
export { seedDemo, DEMO, type DemoInfo } from './demo.ts';
export * from './keys/keyStore.ts';
export * from './store/batches.ts';
export * from './store/keyPackages.ts';
export { loadOnCard, type LoadItem, type LoadRequest, type LoadOutcome } from './cardops/load.ts';
export { deleteOnCard } from './cardops/delete.ts';
export { moveIn } from './cardops/moveIn.ts';
export { diagnose } from './cardops/diagnose.ts';
export { resetPin } from './cardops/resetPin.ts';
export { recoverCard } from './cardops/recover.ts';
export { CardJobs } from './cardops/jobs.ts';
