/**
 * The console's session in the browser: the session token in an HttpOnly,
 * SameSite=Strict cookie (Secure under TLS) that no script can read, and a CSRF
 * token derived from it that the console sends in `x-csrf-token` on every state
 * change. The auth hook (http/auth.ts) takes the cookie when there is no bearer
 * token and refuses a state change without the matching CSRF token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CSRF_HEADER, SESSION_COOKIE } from '../contract/console.ts';

/** A console session also ends after this long without a request (an unattended PC). */
export const CONSOLE_IDLE_MS = 15 * 60_000;

/** The session token from the Cookie header, if any. */
export function sessionCookie(req: FastifyRequest): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Not a secret of its own: readable by this origin's script only, tied to one session. */
export function csrfTokenOf(sessionToken: string): string {
  return createHash('sha256').update(`csrf\u0000${sessionToken}`, 'utf8').digest('base64url');
}

/** GET and HEAD change nothing; everything else carries the CSRF token. */
export function csrfOk(req: FastifyRequest, sessionToken: string): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  const sent = req.headers[CSRF_HEADER];
  if (typeof sent !== 'string') return false;
  const want = Buffer.from(csrfTokenOf(sessionToken));
  const got = Buffer.from(sent);
  return got.length === want.length && timingSafeEqual(got, want);
}

function cookie(req: FastifyRequest, value: string, maxAgeS: number): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.floor(maxAgeS))}`,
    ...(req.protocol === 'https' ? ['Secure'] : []),
  ].join('; ');
}

export function setSessionCookie(
  req: FastifyRequest,
  reply: FastifyReply,
  token: string,
  expiresAt: string,
  now: Date,
): void {
  // The server's clock, the one the session's expiry was computed with.
  void reply.header(
    'set-cookie',
    cookie(req, token, (new Date(expiresAt).getTime() - now.getTime()) / 1000),
  );
}

export function clearSessionCookie(req: FastifyRequest, reply: FastifyReply): void {
  void reply.header('set-cookie', cookie(req, '', 0));
}
