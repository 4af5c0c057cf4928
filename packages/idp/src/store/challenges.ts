/** Challenges of the electronic user proof (SQL only). */
import type { Queryable } from '@myna-ap/db';
import { IdpError } from '../errors.ts';
import { CHALLENGE_TTL_MS, newChallenge } from '../proof/signedData.ts';

/** Who a challenge is for: a machine client, or the platform's own sign-in (an OIDC interaction). */
export type ChallengeOwner = { readonly clientId: string } | { readonly interaction: string };

const ownerColumns = (o: ChallengeOwner): [string | null, string | null] =>
  'clientId' in o ? [o.clientId, null] : [null, o.interaction];

export async function createChallenge(
  db: Queryable,
  owner: ChallengeOwner,
  origin: string,
  now = new Date(),
): Promise<{ challenge: string; expiresAt: Date }> {
  const challenge = newChallenge();
  const expiresAt = new Date(now.getTime() + CHALLENGE_TTL_MS);
  await db.query('DELETE FROM idp_challenges WHERE expires_at < $1', [
    new Date(now.getTime() - CHALLENGE_TTL_MS),
  ]);
  await db.query(
    `INSERT INTO idp_challenges (challenge, client_id, interaction, origin, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [challenge, ...ownerColumns(owner), origin, now, expiresAt],
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
  owner: ChallengeOwner,
  challenge: string,
  now = new Date(),
): Promise<{ origin: string }> {
  const [clientId, interaction] = ownerColumns(owner);
  const r = await db.query<{ origin: string }>(
    `UPDATE idp_challenges SET used_at = $4
      WHERE challenge = $1 AND client_id IS NOT DISTINCT FROM $2
        AND interaction IS NOT DISTINCT FROM $3 AND used_at IS NULL AND expires_at > $4
      RETURNING origin`,
    [challenge, clientId, interaction, now],
  );
  if (r.rows[0]) return r.rows[0];
  const why = await db.query<{
    client_id: string | null;
    interaction: string | null;
    used_at: Date | null;
  }>('SELECT client_id, interaction, used_at FROM idp_challenges WHERE challenge = $1', [
    challenge,
  ]);
  const row = why.rows[0];
  if (!row) throw new IdpError('CHALLENGE_UNKNOWN');
  if (row.client_id !== clientId || row.interaction !== interaction) {
    throw new IdpError('CHALLENGE_OTHER_CLIENT');
  }
  if (row.used_at) throw new IdpError('CHALLENGE_USED');
  throw new IdpError('CHALLENGE_EXPIRED');
}
