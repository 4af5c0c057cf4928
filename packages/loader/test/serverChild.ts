/**
 * A loader server in a process of its own, for the kill -9 test (killServer.test.ts):
 * `startServer` on the PGlite data dir in MYNA_TEST_DATA_DIR, or on DATABASE_URL,
 * port 0, the TEST area keys (the emulated cards') and the card AP root key from
 * MYNA_TEST_CARD_AP_ROOT (hex, made by the test; an environment variable, never
 * argv), service hours open all day (the test runs at any hour). Prints one line
 * `{"url":…,"pid":…}` once listening; SIGTERM closes it cleanly.
 */
import { fromHex } from '@myna-ap/apdu';
import { startServer } from '../src/serve.ts';
import { MemoryKeyStore } from '../src/keys/keyStore.ts';
import { TEST_CONFIG } from '../src/store/config.ts';

const root = process.env.MYNA_TEST_CARD_AP_ROOT;
if (!root) throw new Error('MYNA_TEST_CARD_AP_ROOT is not set');
const server = await startServer({
  port: 0,
  ...(process.env.DATABASE_URL
    ? { databaseUrl: process.env.DATABASE_URL }
    : { dataDir: process.env.MYNA_TEST_DATA_DIR }),
  keys: new MemoryKeyStore('test', fromHex(root)),
  config: {
    ...TEST_CONFIG,
    serviceHours: { openMinute: 0, closeMinute: 24 * 60, closed: [], utcOffsetMinutes: 540 },
  },
});
process.stdout.write(`${JSON.stringify({ url: server.url, pid: process.pid })}\n`);
process.once('SIGTERM', () => {
  void server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
