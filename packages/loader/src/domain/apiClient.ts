/**
 * Machine credentials of a business system (業務システム), pure: the client's
 * secret, its short-lived access tokens, what the database keeps of them.
 *
 * Why SHA-256 and not scrypt for the secret: the secret is 256 random bits made
 * here, never chosen by a person, so there is no dictionary to try and a fast hash
 * is already beyond brute force; scrypt earns its cost on passwords (operators',
 * domain/password.ts). A slow hash here would only hand an unauthenticated caller
 * of `POST /v1/oauth/token` a CPU lever against the server.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** An access token lives 15 minutes; the system asks again with its secret. */
export const CLIENT_TOKEN_TTL_MS = 15 * 60_000;

export const CLIENT_SECRET_PREFIX = 'mynacs_';
export const CLIENT_TOKEN_PREFIX = 'mynact_';

const BODY = /^[A-Za-z0-9_-]{43}$/;

/** 256 random bits, base64url, with a prefix that says what it is (secret scanners, logs). */
function fresh(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

export const newClientSecret = (): string => fresh(CLIENT_SECRET_PREFIX);
export const newClientToken = (): string => fresh(CLIENT_TOKEN_PREFIX);

export function looksLikeClientSecret(s: string): boolean {
  return s.startsWith(CLIENT_SECRET_PREFIX) && BODY.test(s.slice(CLIENT_SECRET_PREFIX.length));
}

/** A bearer token of an API client (not an operator's `myna_…`). */
export function looksLikeClientToken(s: string): boolean {
  return s.startsWith(CLIENT_TOKEN_PREFIX) && BODY.test(s.slice(CLIENT_TOKEN_PREFIX.length));
}

/** What the database keeps of a secret or a token. */
export function credentialHash(s: string): Uint8Array {
  return Uint8Array.from(createHash('sha256').update(s, 'utf8').digest());
}

/** Whether `secret` is the one whose hash is `stored`, in constant time. */
export function secretMatches(secret: string, stored: Uint8Array): boolean {
  const h = credentialHash(secret);
  return h.length === stored.length && timingSafeEqual(h, stored);
}

/**
 * The client's id and secret of a token request: HTTP Basic (client_secret_basic,
 * RFC 6749 §2.3.1: both form-urlencoded inside) or the body (client_secret_post),
 * never both (§2.3: one method per request). Undefined when neither is complete.
 */
export function clientCredentials(
  authorization: string | undefined,
  body: { readonly client_id?: string | undefined; readonly client_secret?: string | undefined },
): { id: string; secret: string } | 'both' | undefined {
  const m =
    authorization === undefined ? null : /^Basic ([A-Za-z0-9+/=]+)$/i.exec(authorization.trim());
  const inBody = body.client_id !== undefined || body.client_secret !== undefined;
  if (m) {
    if (inBody) return 'both';
    const plain = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon < 0) return undefined;
    try {
      const dec = (x: string) => decodeURIComponent(x.replace(/\+/g, ' '));
      return { id: dec(plain.slice(0, colon)), secret: dec(plain.slice(colon + 1)) };
    } catch {
      return undefined;
    }
  }
  if (body.client_id !== undefined && body.client_secret !== undefined)
    return { id: body.client_id, secret: body.client_secret };
  return undefined;
}
