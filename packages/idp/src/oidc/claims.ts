/**
 * The 4 info (基本4情報) a holder consented to give one relying party in one
 * sign-in, read from the holder's 署名用 certificate (validated, and signed for by
 * its key, so neither forged nor someone else's). Kept with the grant (model
 * `HolderInfo`, id = grant id) only as long as the grant lives: revoking the grant
 * removes them too.
 */
import type { Queryable } from '@myna-ap/db';
import type { HolderInfo } from '@myna-ap/pki';

/** ISO 5218 (the card's 性別) as OIDC's `gender`. */
const GENDER: Record<HolderInfo['sex'], string> = {
  '1': 'male',
  '2': 'female',
  '9': 'not applicable',
};

export interface FourInfoClaims {
  name?: string;
  address?: { formatted: string };
  birthdate?: string;
  gender?: string;
}

/** The claims of the consented scopes only. */
export function fourInfoClaims(info: HolderInfo, scopes: readonly string[]): FourInfoClaims {
  return {
    ...(scopes.includes('name') ? { name: info.name } : {}),
    ...(scopes.includes('address') ? { address: { formatted: info.address } } : {}),
    ...(scopes.includes('birthdate') ? { birthdate: info.birthDate } : {}),
    ...(scopes.includes('gender') ? { gender: GENDER[info.sex] } : {}),
  };
}

export async function saveHolderClaims(
  db: Queryable,
  grantId: string,
  claims: FourInfoClaims,
  ttlSeconds: number,
): Promise<void> {
  await db.query(
    `INSERT INTO idp_oidc_records (model, id, payload, grant_id, expires_at)
     VALUES ('HolderInfo', $1, $2, $1, $3)`,
    [grantId, JSON.stringify(claims), new Date(Date.now() + ttlSeconds * 1000)],
  );
}

/** The saved claims of a grant, narrowed to the scopes of the token asking. */
export async function holderClaims(
  db: Queryable,
  grantId: string,
  scope: string,
): Promise<FourInfoClaims> {
  const r = await db.query<{ payload: FourInfoClaims }>(
    `SELECT payload FROM idp_oidc_records
      WHERE model = 'HolderInfo' AND id = $1 AND expires_at > now()`,
    [grantId],
  );
  const saved = r.rows[0]?.payload ?? {};
  const scopes = scope.split(' ');
  const keep = (k: keyof FourInfoClaims, s: string) =>
    scopes.includes(s) && saved[k] ? { [k]: saved[k] } : {};
  return {
    ...keep('name', 'name'),
    ...keep('address', 'address'),
    ...keep('birthdate', 'birthdate'),
    ...keep('gender', 'gender'),
  };
}
