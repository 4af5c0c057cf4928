/**
 * Client authentication with a signed JWT (private_key_jwt: RFC 7523 §2.2 and
 * §3, OpenID Connect Core §9), pure: which keys a client may register, which
 * algorithms are accepted, and the checks on the assertion's claims. The
 * signature itself is checked by `jose` (store/apiClients.ts); these rules are the
 * part a mistake in would let a replayed or borrowed assertion through.
 */
import type { JsonWebKey } from 'node:crypto';
import { createPublicKey } from 'node:crypto';

/** RFC 7523 §2.2's client_assertion_type. */
export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** An assertion lives at most this long (exp − iat, or exp − now without iat). */
export const MAX_ASSERTION_LIFETIME_S = 300;
/** Clocks of a business system and the server may differ by this much. */
export const CLOCK_SKEW_S = 60;

/** Asymmetric only: a shared-secret HS256 would make the server able to forge the client. */
export const ASSERTION_ALGORITHMS = ['ES256', 'RS256', 'PS256'] as const;
export type AssertionAlgorithm = (typeof ASSERTION_ALGORITHMS)[number];

export type KeyRefusal = 'not_a_public_key' | 'private_key' | 'unsupported_key' | 'rsa_too_short';

/**
 * The client's public key (PEM SubjectPublicKeyInfo, or a JWK as JSON) as the JWK
 * the database keeps, with the algorithms it may sign with; a refusal otherwise.
 */
export function clientPublicKey(
  text: string,
): { jwk: JsonWebKey; algorithms: readonly AssertionAlgorithm[] } | { refused: KeyRefusal } {
  let jwk: JsonWebKey;
  // A private key pasted by mistake is refused, not quietly turned into its public half:
  // the administrator must learn that it left the system that owns it.
  if (/PRIVATE KEY/.test(text) || /"d"\s*:/.test(text)) return { refused: 'private_key' };
  try {
    const trimmed = text.trim();
    const key = trimmed.startsWith('{')
      ? createPublicKey({ key: JSON.parse(trimmed) as JsonWebKey, format: 'jwk' })
      : createPublicKey(trimmed);
    if (key.type !== 'public') return { refused: 'not_a_public_key' };
    jwk = key.export({ format: 'jwk' });
  } catch {
    return { refused: 'not_a_public_key' };
  }
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') {
    return { jwk: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, algorithms: ['ES256'] };
  }
  if (jwk.kty === 'RSA' && typeof jwk.n === 'string') {
    if (Buffer.from(jwk.n, 'base64url').length * 8 < 2048) return { refused: 'rsa_too_short' };
    return { jwk: { kty: 'RSA', n: jwk.n, e: jwk.e }, algorithms: ['RS256', 'PS256'] };
  }
  return { refused: 'unsupported_key' };
}

/** The algorithms a stored key may sign with. */
export function algorithmsOf(jwk: JsonWebKey): readonly AssertionAlgorithm[] {
  return jwk.kty === 'EC' ? ['ES256'] : ['RS256', 'PS256'];
}

export type ClaimRefusal =
  | 'issuer'
  | 'subject'
  | 'audience'
  | 'expired'
  | 'no_expiry'
  | 'too_long'
  | 'not_yet'
  | 'issued_in_future'
  | 'no_jti';

/**
 * The claims of a verified assertion (RFC 7523 §3): iss and sub are the client,
 * aud names this token endpoint, exp is present and near, nbf and iat are not in
 * the future, jti is there (single use is checked against the database).
 */
export function checkAssertionClaims(
  claims: Readonly<Record<string, unknown>>,
  expect: { readonly clientId: string; readonly audience: string; readonly nowS: number },
): { ok: true; jti: string; expS: number } | { ok: false; refused: ClaimRefusal } {
  const no = (refused: ClaimRefusal) => ({ ok: false as const, refused });
  if (claims.iss !== expect.clientId) return no('issuer');
  if (claims.sub !== expect.clientId) return no('subject');
  const aud = claims.aud;
  const auds = Array.isArray(aud) ? aud : [aud];
  if (!auds.includes(expect.audience)) return no('audience');
  const { exp, nbf, iat, jti } = claims;
  if (typeof exp !== 'number') return no('no_expiry');
  if (exp + CLOCK_SKEW_S <= expect.nowS) return no('expired');
  if (typeof iat === 'number' && iat - CLOCK_SKEW_S > expect.nowS) return no('issued_in_future');
  const start = typeof iat === 'number' ? iat : expect.nowS;
  if (exp - start > MAX_ASSERTION_LIFETIME_S) return no('too_long');
  if (typeof nbf === 'number' && nbf - CLOCK_SKEW_S > expect.nowS) return no('not_yet');
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 200) return no('no_jti');
  return { ok: true, jti, expS: exp };
}

/** The client id an assertion claims (its `iss`), read before it is verified: only to find the key. */
export function claimedIssuer(assertion: string): string | undefined {
  const part = assertion.split('.')[1];
  if (part === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    const iss = (claims as { iss?: unknown } | null)?.iss;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}
