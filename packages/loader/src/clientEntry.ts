/**
 * `@myna-ap/loader/client`: what a client of the API needs, without the server
 * (no database, no Fastify), so the CLI starts fast.
 */
export { ApiClient, ApiError } from './client.ts';
export * from './credentials.ts';
export type { Text } from './errors.ts';
export { relayJob, type JobReply, type CardTransmit, type RelayOptions } from './relay.ts';
