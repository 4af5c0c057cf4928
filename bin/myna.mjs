#!/usr/bin/env node
// The `myna` command. Runs the TypeScript sources directly through tsx, so a fresh
// clone needs no build step: `npm ci` and then `npx myna …`.
import { register } from 'tsx/esm/api';

// `myna … | head`: a closed pipe ends the command quietly, as other CLI tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

register();
const { main } = await import('../packages/cli/src/main.ts');
process.exitCode = await main(process.argv.slice(2));
