/**
 * Machine clients authenticate at the token endpoint (OAuth 2.0 client
 * credentials grant, as MKPF 類型② asks) with either
 *   - `client_secret_basic`: HTTP Basic with the client id and its secret, or
 *   - `private_key_jwt` (RFC 7523): a JWT the client signed with its own key,
 *     iss = sub = client id, aud = our token endpoint, short-lived, used once.
 * and get a short-lived access token carrying at most the scopes they were
 * registered with.
 */
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import type { Queryable } from '@myna-ap/db';
import { IdpError } from './errors.ts';
import { isScope, type Scope } from './scopes.ts';
import {
  clientBySecret,
  findClient,
  issueToken,
  recordAssertion,
  type Client,
} from './store/clients.ts';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Longest lifetime of a client assertion we accept (exp − iat, and exp − now). */
const MAX_ASSERTION_SECONDS = 300;

export interface TokenRequest {
  readonly authorization: string | undefined;
  readonly form: Readonly<Record<string, string | undefined>>;
}

export async function authenticateClient(
  db: Queryable,
  req: TokenRequest,
  /** Audiences an assertion may name: the token endpoint URL and the issuer. */
  audiences: readonly string[],
  now = new Date(),
): Promise<Client> {
  const basic = /^Basic\s+(\S+)$/i.exec(req.authorization ?? '');
  const assertion = req.form.client_assertion;
  if (basic && assertion) {
    throw new IdpError('CLIENT_AUTH_FAILED', {
      en: 'use one client authentication method, not two',
      ja: 'クライアント認証の方法は1つだけ使ってください',
    });
  }
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new IdpError('CLIENT_AUTH_FAILED');
    // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    const id = safeDecode(decoded.slice(0, colon));
    const secret = safeDecode(decoded.slice(colon + 1));
    const client = await clientBySecret(db, id, secret);
    if (!client) throw new IdpError('CLIENT_AUTH_FAILED');
    return client;
  }
  if (assertion) {
    if (req.form.client_assertion_type !== JWT_BEARER) {
      throw new IdpError('CLIENT_AUTH_FAILED', {
        en: `client_assertion_type must be ${JWT_BEARER}`,
        ja: `client_assertion_type は ${JWT_BEARER} にしてください`,
      });
    }
    return await clientByAssertion(db, assertion, audiences, now);
  }
  throw new IdpError('CLIENT_AUTH_REQUIRED');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new IdpError('CLIENT_AUTH_FAILED');
  }
}

async function clientByAssertion(
  db: Queryable,
  jwt: string,
  audiences: readonly string[],
  now: Date,
): Promise<Client> {
  let sub: string | undefined;
  try {
    sub = decodeJwt(jwt).sub;
  } catch {
    throw new IdpError('CLIENT_AUTH_FAILED', {
      en: 'the client assertion is not a JWT',
      ja: 'クライアントアサーションが JWT ではありません',
    });
  }
  const client = sub === undefined ? undefined : await findClient(db, sub);
  if (!client?.jwks) throw new IdpError('CLIENT_AUTH_FAILED');
  let payload;
  try {
    ({ payload } = await jwtVerify(jwt, createLocalJWKSet(client.jwks), {
      issuer: client.clientId,
      subject: client.clientId,
      audience: [...audiences],
      algorithms: ['RS256', 'PS256', 'ES256'],
      requiredClaims: ['exp', 'jti'],
      currentDate: now,
    }));
  } catch (e) {
    throw new IdpError('CLIENT_AUTH_FAILED', {
      en: `the client assertion was refused: ${(e as Error).message}`,
      ja: `クライアントアサーションを受け付けられません: ${(e as Error).message}`,
    });
  }
  const exp = payload.exp! * 1000;
  const iat = payload.iat === undefined ? now.getTime() : payload.iat * 1000;
  if (
    exp - now.getTime() > MAX_ASSERTION_SECONDS * 1000 ||
    exp - iat > MAX_ASSERTION_SECONDS * 1000
  ) {
    throw new IdpError('CLIENT_AUTH_FAILED', {
      en: `a client assertion may live ${MAX_ASSERTION_SECONDS} s at most`,
      ja: `クライアントアサーションの有効期間は最大 ${MAX_ASSERTION_SECONDS} 秒です`,
    });
  }
  if (!(await recordAssertion(db, client.clientId, String(payload.jti), new Date(exp)))) {
    throw new IdpError('CLIENT_AUTH_FAILED', {
      en: 'this client assertion was already used',
      ja: 'このクライアントアサーションは使用済みです',
    });
  }
  return client;
}

/** The client credentials grant: a token with the asked scopes (default: all the client's). */
export async function grantClientCredentials(
  db: Queryable,
  client: Client,
  form: Readonly<Record<string, string | undefined>>,
  now = new Date(),
) {
  if (form.grant_type !== 'client_credentials') throw new IdpError('UNSUPPORTED_GRANT');
  const asked = form.scope?.split(' ').filter(Boolean) ?? [...client.scopes];
  const scopes: Scope[] = [];
  for (const s of asked) {
    if (!isScope(s) || !client.scopes.includes(s)) {
      throw new IdpError('SCOPE_DENIED', {
        en: `scope ${s} is not granted to client ${client.clientId}`,
        ja: `スコープ ${s} はクライアント ${client.clientId} に許可されていません`,
      });
    }
    scopes.push(s);
  }
  return issueToken(db, client, scopes, now);
}
