/** Challenges of the electronic user proof (SQL only). */
import type { Queryable } from '../db.ts';
import { IdpError } from '../errors.ts';
import { CHALLENGE_TTL_MS, newChallenge } from '../proof/signedData.ts';

export async function createChallenge(
  db: Queryable,
  clientId: string,
  origin: string,
  now = new Date(),
): Promise<{ challenge: string; expiresAt: Date }> {
  const challenge = newChallenge();
  const expiresAt = new Date(now.getTime() + CHALLENGE_TTL_MS);
  await db.query('DELETE FROM idp_challenges WHERE expires_at < $1', [
    new Date(now.getTime() - CHALLENGE_TTL_MS),
  ]);
  await db.query(
    `INSERT INTO idp_challenges (challenge, client_id, origin, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5)`,
    [challenge, clientId, origin, now, expiresAt],
  );
  return { challenge, expiresAt };
}

/**
 * Uses up a challenge of this client: one UPDATE, so of two requests with the
 * same challenge exactly one gets it. The origin it was issued for is returned;
 * otherwise the reason it cannot be used (unknown, another client's, used, expired).
 */
export async function consumeChallenge(
  db: Queryable,
  clientId: string,
  challenge: string,
  now = new Date(),
): Promise<{ origin: string }> {
  const r = await db.query<{ origin: string }>(
    `UPDATE idp_challenges SET used_at = $3
      WHERE challenge = $1 AND client_id = $2 AND used_at IS NULL AND expires_at > $3
      RETURNING origin`,
    [challenge, clientId, now],
  );
  if (r.rows[0]) return r.rows[0];
  const why = await db.query<{ client_id: string; used_at: Date | null; expires_at: Date }>(
    'SELECT client_id, used_at, expires_at FROM idp_challenges WHERE challenge = $1',
    [challenge],
  );
  const row = why.rows[0];
  if (!row) throw new IdpError('CHALLENGE_UNKNOWN');
  if (row.client_id !== clientId) throw new IdpError('CHALLENGE_OTHER_CLIENT');
  if (row.used_at) throw new IdpError('CHALLENGE_USED');
  throw new IdpError('CHALLENGE_EXPIRED');
}
