/**
 * The loopback `quickack` route. Through pcscd + vpcd every APDU otherwise
 * costs ~40 ms on Linux: vpcd writes the 2-byte length and the APDU with two
 * send()s, Nagle holds the second until the first is ACKed, and the card's
 * kernel delays that ACK (delayed ACK) by up to 40 ms. `quickack 1` on the
 * loopback route makes the kernel ACK at once; pcscd and vpcd stay unpatched.
 * Linux only; needs root (CAP_NET_ADMIN). It only changes when ACKs are sent on
 * 127.0.0.1, so it is left in place (a reboot clears it).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The route as the kernel lists it in table `local` (Debian, Ubuntu, Fedora alike). */
export const LOOPBACK_ROUTE = 'local 127.0.0.1 dev lo proto kernel scope host src 127.0.0.1';

/** The command a user runs once (as root) to get sub-millisecond APDUs through vpcd. */
export const QUICKACK_COMMAND = `ip route change ${LOOPBACK_ROUTE} table local quickack 1`;

export type QuickackResult =
  | { readonly state: 'already' | 'applied' }
  | { readonly state: 'unavailable'; readonly reason: string };

/** True when `ip route show` output for 127.0.0.1 carries `quickack 1`. */
export function routeHasQuickack(ipRouteOutput: string): boolean {
  return ipRouteOutput
    .split('\n')
    .some((l) => /^local 127\.0\.0\.1 /.test(l.trim()) && /\bquickack 1\b/.test(l));
}

export async function loopbackQuickackState(): Promise<boolean> {
  const { stdout } = await run('ip', ['route', 'show', 'table', 'local', '127.0.0.1']);
  return routeHasQuickack(stdout);
}

/** Sets `quickack 1` on the loopback route when possible; never throws. */
export async function ensureLoopbackQuickack(): Promise<QuickackResult> {
  if (process.platform !== 'linux') return { state: 'unavailable', reason: 'not Linux' };
  try {
    if (await loopbackQuickackState()) return { state: 'already' };
  } catch (e) {
    return { state: 'unavailable', reason: `ip route: ${(e as Error).message.split('\n')[0]}` };
  }
  if (process.getuid?.() !== 0) return { state: 'unavailable', reason: 'not root' };
  try {
    await run('ip', [
      'route',
      'change',
      ...LOOPBACK_ROUTE.split(' '),
      'table',
      'local',
      'quickack',
      '1',
    ]);
    return (await loopbackQuickackState())
      ? { state: 'applied' }
      : { state: 'unavailable', reason: 'route unchanged' };
  } catch (e) {
    return { state: 'unavailable', reason: (e as Error).message.split('\n')[0] ?? 'ip failed' };
  }
}

/** Removes `quickack` again (benchmarks use it to measure the default path). Root only. */
export async function clearLoopbackQuickack(): Promise<void> {
  await run('ip', ['route', 'change', ...LOOPBACK_ROUTE.split(' '), 'table', 'local']);
}
