/** @myna-ap/cli — the `myna` command (bin/myna.mjs runs `main`). */
export { main, usage } from './main.ts';
export { CliError, type CliCommand, type CliIo } from './command.ts';
export { currentLang, t, type Lang, type Text } from './i18n.ts';
