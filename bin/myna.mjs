#!/usr/bin/env node
// The `myna` command. Runs the TypeScript sources directly through tsx, so a fresh
// clone needs no build step: `npm ci` and then `npx myna …`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../packages/cli/src/main.ts');
process.exitCode = await main(process.argv.slice(2));
