/** Machine clients and their access tokens (SQL only). */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { JSONWebKeySet } from 'jose';
import type { Queryable } from '@myna-ap/db';
import { IdpError } from '../errors.ts';
import { isScope, type Scope } from '../scopes.ts';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number },
) => Promise<Buffer>;

export interface Client {
  readonly clientId: string;
  readonly name: string;
  /** The PPID sector: clients of one service share it. */
  readonly sector: string;
  readonly scopes: readonly Scope[];
  readonly origins: readonly string[];
  /** A relying party of the OIDC provider: its exact redirect URIs (none: a machine client). */
  readonly redirectUris: readonly string[];
  readonly jwks: JSONWebKeySet | undefined;
  readonly hasSecret: boolean;
}

export interface NewClient {
  readonly clientId: string;
  readonly name: string;
  readonly sector?: string;
  readonly scopes: readonly Scope[];
  readonly origins?: readonly string[];
  /** Exact redirect URIs for the OIDC authorization code flow (https, or http on loopback). */
  readonly redirectUris?: readonly string[];
  /** Generate a client secret (returned once, stored as a scrypt hash). */
  readonly secret?: boolean;
  /** Public keys for signed JWT assertions. */
  readonly jwks?: JSONWebKeySet;
}

interface ClientRow {
  client_id: string;
  name: string;
  sector: string;
  secret_hash: string | null;
  jwks: JSONWebKeySet | null;
  scopes: string[];
  origins: string[];
  redirect_uris: string[];
  disabled_at: Date | null;
}

const SCRYPT = { N: 16384, r: 8, p: 1 };

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(secret, salt, 32, SCRYPT);
  return [
    'scrypt',
    SCRYPT.N,
    SCRYPT.r,
    SCRYPT.p,
    salt.toString('base64url'),
    hash.toString('base64url'),
  ].join('$');
}

export async function secretMatches(secret: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return false;
  const want = Buffer.from(hash, 'base64url');
  const got = await scryptAsync(secret, Buffer.from(salt, 'base64url'), want.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return got.length === want.length && timingSafeEqual(got, want);
}

/** An origin as browsers send it: scheme, host and port only. */
export function checkOrigin(origin: string): string {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    throw new IdpError('BAD_REQUEST', {
      en: `not an origin: ${origin}`,
      ja: `オリジンではありません: ${origin}`,
    });
  }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.origin !== origin) {
    throw new IdpError('BAD_REQUEST', {
      en: `not an origin (scheme://host[:port] only): ${origin}`,
      ja: `オリジン（scheme://host[:port] のみ）ではありません: ${origin}`,
    });
  }
  return origin;
}

/**
 * A redirect URI as registered: absolute, no fragment, https — or http on a
 * loopback address (RFC 8252 §7.3, a relying party on the same machine). It is
 * compared exactly at the authorization endpoint.
 */
export function checkRedirectUri(uri: string): string {
  let u: URL | undefined;
  try {
    u = new URL(uri);
  } catch {
    u = undefined;
  }
  const loopback = u && ['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname);
  if (!u || u.hash || !(u.protocol === 'https:' || (u.protocol === 'http:' && loopback))) {
    throw new IdpError('BAD_REQUEST', {
      en: `not a redirect URI (https, or http on loopback; no fragment): ${uri}`,
      ja: `リダイレクトURI（https、またはループバックの http。フラグメントなし）ではありません: ${uri}`,
    });
  }
  return uri;
}

export async function registerClient(
  db: Queryable,
  c: NewClient,
): Promise<{ client: Client; secret: string | undefined }> {
  if (!c.secret && !c.jwks) {
    throw new IdpError('BAD_REQUEST', {
      en: 'a client needs a secret or a JWK set',
      ja: 'クライアントにはシークレットまたは JWK セットが必要です',
    });
  }
  for (const s of c.scopes)
    if (!isScope(s))
      throw new IdpError('BAD_REQUEST', { en: `unknown scope ${s}`, ja: `不明なスコープ ${s}` });
  const origins = (c.origins ?? []).map(checkOrigin);
  const redirectUris = (c.redirectUris ?? []).map(checkRedirectUri);
  if (redirectUris.length && !c.jwks) {
    throw new IdpError('BAD_REQUEST', {
      en: 'a relying party authenticates with private_key_jwt: give its JWK set',
      ja: '依拠当事者は private_key_jwt で認証します。JWK セットを指定してください',
    });
  }
  const secret = c.secret ? randomBytes(32).toString('base64url') : undefined;
  const secretHash = secret ? await hashSecret(secret) : null;
  try {
    await db.query(
      `INSERT INTO idp_clients (client_id, name, sector, secret_hash, jwks, scopes, origins, redirect_uris)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        c.clientId,
        c.name,
        c.sector ?? c.clientId,
        secretHash,
        c.jwks ? JSON.stringify(c.jwks) : null,
        c.scopes,
        origins,
        redirectUris,
      ],
    );
  } catch (e) {
    if ((e as { code?: string }).code === '23505') throw new IdpError('CLIENT_EXISTS');
    if ((e as { code?: string }).code === '23514') {
      throw new IdpError('BAD_REQUEST', {
        en: 'client id: 3–64 of A–Z a–z 0–9 . _ -; sector: 1–128 of those and :',
        ja: 'クライアントIDは英数字と . _ - の3～64文字、セクターはそれに : を加えた1～128文字です',
      });
    }
    throw e;
  }
  return { client: (await findClient(db, c.clientId))!, secret };
}

export async function findClient(db: Queryable, clientId: string): Promise<Client | undefined> {
  const row = await findRow(db, clientId);
  return row && !row.disabled_at ? toClient(row) : undefined;
}

async function findRow(db: Queryable, clientId: string): Promise<ClientRow | undefined> {
  const r = await db.query<ClientRow>(
    `SELECT client_id, name, sector, secret_hash, jwks, scopes, origins, redirect_uris, disabled_at
       FROM idp_clients WHERE client_id = $1`,
    [clientId],
  );
  return r.rows[0];
}

function toClient(r: ClientRow): Client {
  return {
    clientId: r.client_id,
    name: r.name,
    sector: r.sector,
    scopes: r.scopes.filter(isScope),
    origins: r.origins,
    redirectUris: r.redirect_uris,
    jwks: r.jwks ?? undefined,
    hasSecret: r.secret_hash !== null,
  };
}

/** The client, if the secret is its secret (same work whether or not the client exists). */
export async function clientBySecret(
  db: Queryable,
  clientId: string,
  secret: string,
): Promise<Client | undefined> {
  const row = await findRow(db, clientId);
  const ok = await secretMatches(secret, row?.secret_hash ?? DUMMY_HASH);
  return ok && row && row.secret_hash && !row.disabled_at ? toClient(row) : undefined;
}
const DUMMY_HASH =
  'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** Records a JWT assertion's id; false when it was seen before (a replay). */
export async function recordAssertion(
  db: Queryable,
  clientId: string,
  jti: string,
  expiresAt: Date,
): Promise<boolean> {
  await db.query('DELETE FROM idp_assertion_jtis WHERE expires_at < now()');
  const r = await db.query(
    `INSERT INTO idp_assertion_jtis (client_id, jti, expires_at) VALUES ($1, $2, $3)
     ON CONFLICT DO NOTHING`,
    [clientId, jti, expiresAt],
  );
  return r.rowCount === 1;
}

export const TOKEN_TTL_SECONDS = 300;

const tokenHash = (token: string) => createHash('sha256').update(token).digest();

export async function issueToken(
  db: Queryable,
  client: Client,
  scopes: readonly Scope[],
  now = new Date(),
): Promise<{ accessToken: string; expiresIn: number; scopes: readonly Scope[] }> {
  const token = randomBytes(32).toString('base64url');
  await db.query('DELETE FROM idp_tokens WHERE expires_at < $1', [now]);
  await db.query(
    'INSERT INTO idp_tokens (token_hash, client_id, scopes, expires_at) VALUES ($1, $2, $3, $4)',
    [tokenHash(token), client.clientId, scopes, new Date(now.getTime() + TOKEN_TTL_SECONDS * 1000)],
  );
  return { accessToken: token, expiresIn: TOKEN_TTL_SECONDS, scopes };
}

/** The client and scopes of a live access token. */
export async function tokenGrant(
  db: Queryable,
  token: string,
  now = new Date(),
): Promise<{ client: Client; scopes: readonly Scope[] }> {
  const r = await db.query<ClientRow & { token_scopes: string[] }>(
    `SELECT c.client_id, c.name, c.sector, c.secret_hash, c.jwks, c.scopes, c.origins, c.redirect_uris,
            c.disabled_at,
            t.scopes AS token_scopes
       FROM idp_tokens t JOIN idp_clients c USING (client_id)
      WHERE t.token_hash = $1 AND t.expires_at > $2 AND c.disabled_at IS NULL`,
    [tokenHash(token), now],
  );
  const row = r.rows[0];
  if (!row) throw new IdpError('TOKEN_INVALID');
  return { client: toClient(row), scopes: row.token_scopes.filter(isScope) };
}
