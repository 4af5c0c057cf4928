/**
 * The terminal's identity: an Ed25519 key pair made at enrolment and the agent id
 * the server gave it. The private key stays in `agent.key` (PKCS#8 PEM, mode
 * 0600: only the service's account reads it), the rest in `agent.json`; both in
 * one folder (default ~/.myna/terminal). The server keeps only the public key.
 * Node's own file and crypto calls: the same on Linux and Windows (where 0600 is
 * the ACL's business: docs/terminal.md).
 */
import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { channelProof } from '@myna-ap/loader/contract';
import { mynaHome } from '@myna-ap/loader/client';
import { TerminalError } from './errors.ts';

export interface AgentIdentity {
  readonly server: string;
  readonly terminalId: string;
  readonly agentId: string;
  readonly privateKey: KeyObject;
}

/** Where the identity lives: `MYNA_HOME/terminal` unless told. */
export function identityDir(dir?: string): string {
  return dir ?? join(mynaHome(), 'terminal');
}

const KEY_FILE = 'agent.key';
const INFO_FILE = 'agent.json';

/** The signature that opens the channel for `nonceHex` (the server's challenge). */
export function proveChannel(
  id: Pick<AgentIdentity, 'terminalId' | 'agentId' | 'privateKey'>,
  nonceHex: string,
): string {
  return sign(null, channelProof(id.terminalId, id.agentId, nonceHex), id.privateKey)
    .toString('hex')
    .toUpperCase();
}

async function exists(p: string): Promise<boolean> {
  try {
    await readFile(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes the key pair, enrols its public key for `terminalId` at `server`, and
 * saves the identity. Resolves with the approval code to give an administrator.
 */
export async function enrol(o: {
  readonly server: string;
  readonly terminalId: string;
  readonly dir?: string;
  readonly force?: boolean;
}): Promise<{ agentId: string; code: string; dir: string }> {
  const dir = identityDir(o.dir);
  if (!o.force && (await exists(join(dir, KEY_FILE)))) throw new TerminalError('IDENTITY_EXISTS');
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  let res: Response;
  try {
    res = await fetch(new URL('/terminal/enrol', o.server), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ terminalId: o.terminalId, publicKey: spki.toString('hex') }),
    });
  } catch (e) {
    throw new TerminalError(
      'SERVER_UNREACHABLE',
      { en: `cannot reach ${o.server}`, ja: `${o.server} に接続できません` },
      { cause: e },
    );
  }
  const body = (await res.json().catch(() => ({}))) as {
    agentId?: string;
    code?: string;
    message?: { en: string; ja: string };
  };
  if (res.status !== 201 || !body.agentId || !body.code) {
    const m = body.message ?? { en: `HTTP ${res.status}`, ja: `HTTP ${res.status}` };
    throw new TerminalError('ENROL_REFUSED', {
      en: `the server refused the enrolment: ${m.en}`,
      ja: `サーバが登録を拒否しました: ${m.ja}`,
    });
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  await writeFile(join(dir, KEY_FILE), pem, { mode: 0o600 });
  const info = { server: o.server, terminalId: o.terminalId, agentId: body.agentId };
  await writeFile(join(dir, INFO_FILE), JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  return { agentId: body.agentId, code: body.code, dir };
}

/** The identity saved by `enrol`. */
export async function loadIdentity(dir?: string): Promise<AgentIdentity> {
  const d = identityDir(dir);
  let pem: string;
  let info: { server?: unknown; terminalId?: unknown; agentId?: unknown };
  try {
    pem = await readFile(join(d, KEY_FILE), 'utf8');
    info = JSON.parse(await readFile(join(d, INFO_FILE), 'utf8')) as typeof info;
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') throw new TerminalError('IDENTITY_MISSING');
    throw new TerminalError('IDENTITY_INVALID', undefined, { cause: e });
  }
  if (
    typeof info.server !== 'string' ||
    typeof info.terminalId !== 'string' ||
    typeof info.agentId !== 'string'
  ) {
    throw new TerminalError('IDENTITY_INVALID');
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (e) {
    throw new TerminalError('IDENTITY_INVALID', undefined, { cause: e });
  }
  return { server: info.server, terminalId: info.terminalId, agentId: info.agentId, privateKey };
}
