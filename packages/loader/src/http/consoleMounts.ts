/**
 * Everything the operator console needs on the server, as mounts for the seam
 * (docs/server.md): its built files, its cookie session and WebAuthn, what its
 * administration screens read (consoleAdminMount), and the
 * hand-off of card jobs to the terminal's relay. The CLI passes these to
 * `startServer({ mounts })`.
 */
import type { Mount } from './mount.ts';
import { consoleMount } from './consoleMount.ts';
import { handoffMount, type TerminalRelay } from './handoffMount.ts';
import { consoleAuthMount } from './consoleAuthMount.ts';
import { consoleAdminMount } from './consoleAdminMount.ts';

export { CONSOLE_CSP } from './consoleMount.ts';
export { oneTimeLogin } from './consoleAuthMount.ts';

export type { TerminalRelay } from './handoffMount.ts';

/**
 * `dir`: the console's built files (`@myna-ap/console`'s dist/); `terminalRelay`:
 * the terminal channel, so that a hand-off goes straight to a connected agent.
 */
export function consoleMounts(
  dir: string,
  o: { readonly terminalRelay?: () => TerminalRelay | undefined } = {},
): readonly Mount[] {
  return [
    consoleMount(dir),
    consoleAuthMount(),
    consoleAdminMount(),
    handoffMount(o.terminalRelay),
  ];
}
