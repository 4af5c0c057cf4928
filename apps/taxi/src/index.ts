/**
 * @myna-ap/taxi — マイタク, the taxi fare subsidy of seeds 000/003/004, as a business
 * system on the card AP platform: the rules (pure), the in-car terminal, the city's
 * server and settlement. README.md says how to run it against a local loader.
 */
export { TAXI_ERRORS, TAXI_ERRORS_LISTED, TaxiError, type TaxiErrorCode } from './errors.ts';
export * from './rules.ts';
export * from './ride.ts';
export * from './settlement.ts';
export { RideLog } from './rideLog.ts';
export {
  TaxiTerminal,
  HttpCity,
  type CityLink,
  type RideAtTerminal,
  type RideOutcome,
  type SyncReport,
  type TerminalOptions,
} from './terminal.ts';
export * from './store.ts';
export { pollFeed, type LoaderLink } from './feed.ts';
export { buildTaxiServer, type TaxiServerOptions } from './server.ts';
