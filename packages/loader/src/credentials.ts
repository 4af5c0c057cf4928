/**
 * Where the CLI keeps its session: `$MYNA_HOME/credentials.json`, mode 0600
 * (the token is a password for its lifetime). MYNA_TOKEN and MYNA_SERVER win.
 */
import { chmod, mkdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { homedir } from 'node:os';

export const DEFAULT_SERVER = 'http://127.0.0.1:8380';

export interface Credentials {
  readonly server: string;
  readonly token: string;
  readonly login: string;
  readonly expiresAt: string;
}

/**
 * The one home of all local data (session, database, keys — and card/pki's issuer keys,
 * which use the same default): `~/.myna` unless MYNA_HOME says otherwise.
 */
export function mynaHome(env: NodeJS.ProcessEnv = process.env): string {
  const h = env.MYNA_HOME;
  if (h === '~' || h?.startsWith('~/')) return join(homedir(), h.slice(1));
  return h && h.length > 0 ? h : join(homedir(), '.myna');
}

export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(mynaHome(env), 'credentials.json');
}

export async function loadCredentials(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Credentials | undefined> {
  try {
    const j = JSON.parse(await readFile(credentialsPath(env), 'utf8')) as Partial<Credentials>;
    if (typeof j.server === 'string' && typeof j.token === 'string') {
      return {
        server: j.server,
        token: j.token,
        login: String(j.login ?? ''),
        expiresAt: String(j.expiresAt ?? ''),
      };
    }
  } catch {
    /* none saved, or unreadable: treated as logged out */
  }
  return undefined;
}

export async function saveCredentials(
  c: Credentials,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const path = credentialsPath(env);
  await mkdir(mynaHome(env), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  // Created 0600 from the start, so the token is never readable by others.
  await writeFile(tmp, JSON.stringify(c, null, 2) + '\n', { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
  return path;
}

export async function clearCredentials(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await rm(credentialsPath(env), { force: true });
}

/** Server and token for a command: flags, then environment, then the saved session. */
export async function resolveTarget(
  server: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ server: string; token: string | undefined }> {
  const saved = await loadCredentials(env);
  const s = server ?? env.MYNA_SERVER ?? saved?.server ?? DEFAULT_SERVER;
  const token = env.MYNA_TOKEN ?? (saved && saved.server === s ? saved.token : undefined);
  return { server: s, token };
}
