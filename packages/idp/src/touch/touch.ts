/**
 * かざし利用 (touch-only use, seed 003): after a PIN-verified registration, a touch
 * of the card alone — the 利用者証明用 certificate read, validated and mapped to
 * the holder — identifies the holder at a service, but only at the sites the
 * service declared staffed (有人), face-to-face (対面) and of 保証レベル1. Online
 * and unattended use is not allowed, and a touch never registers anyone.
 *
 * A touch proves no key possession: the certificate is public data a copy of the
 * card also gives. So the answer says `identifiedBy: 'touch'` (a service that needs
 * more asks for a PIN proof instead), and the staff at the site look at the holder;
 * where the terminal can, the bridge's 券面事項確認AP internal authentication shows
 * the card is genuine.
 */
import type { Db, Queryable } from '@myna-ap/db';
import { IdpError } from '../errors.ts';
import type { Client } from '../store/clients.ts';
import type { HolderKeys } from '../ppid/holders.ts';
import type { CertificateValidator, ValidationAnswer } from '../validation/validator.ts';
import { verifyProofHolder, type ProofDeps, type ProofRequest } from '../proof/verify.ts';

/** 保証レベル: the only level at which a touch alone may identify (seed 003). */
export const TOUCH_ASSURANCE_LEVEL = 1;

/** What a client declares about a site (拠点) where its staff meet holders. */
export interface TouchSite {
  readonly siteId: string;
  readonly name: string;
  /** 有人: staff are there when the card is touched. */
  readonly staffed: boolean;
  /** 対面: the holder is in front of the staff (not online, not outdoors unattended). */
  readonly faceToFace: boolean;
  /** 保証レベル of what the site does with the identification. */
  readonly assuranceLevel: number;
}

const SITE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The seed's rule for a site: staffed, face-to-face and 保証レベル1, all three. */
export function checkTouchSite(site: TouchSite): void {
  if (!SITE_ID.test(site.siteId) || site.name.trim() === '') {
    throw new IdpError('BAD_REQUEST', {
      en: 'a site needs an id (letters, digits, . _ -, up to 64) and a name',
      ja: '拠点には ID（英数字と . _ -、64文字まで）と名前が必要です',
    });
  }
  const missing: { en: string; ja: string }[] = [];
  if (!site.staffed) missing.push({ en: 'not staffed', ja: '有人ではない' });
  if (!site.faceToFace) missing.push({ en: 'not face-to-face', ja: '対面ではない' });
  if (site.assuranceLevel !== TOUCH_ASSURANCE_LEVEL) {
    missing.push({
      en: `保証レベル ${site.assuranceLevel}, not 1`,
      ja: `保証レベル${site.assuranceLevel}（1ではない）`,
    });
  }
  if (missing.length) {
    throw new IdpError('TOUCH_SITE_NOT_ALLOWED', {
      en: `site ${site.siteId} cannot be declared for かざし利用: ${missing.map((m) => m.en).join(', ')} (only staffed, face-to-face sites of 保証レベル1)`,
      ja: `拠点 ${site.siteId} はかざし利用の拠点にできません: ${missing.map((m) => m.ja).join('、')}（有人・対面・保証レベル1の拠点のみ）`,
    });
  }
}

/** An administrator declares a client's site for かざし利用 (the rule checked first). */
export async function declareTouchSite(
  db: Queryable,
  clientId: string,
  site: TouchSite,
): Promise<void> {
  checkTouchSite(site);
  const r = await db.query(
    `INSERT INTO idp_touch_sites (client_id, site_id, name, staffed, face_to_face, assurance_level)
     SELECT client_id, $2, $3, $4, $5, $6 FROM idp_clients WHERE client_id = $1
     ON CONFLICT (client_id, site_id) DO UPDATE SET name = EXCLUDED.name`,
    [clientId, site.siteId, site.name, site.staffed, site.faceToFace, site.assuranceLevel],
  );
  if (r.rowCount !== 1) throw new IdpError('CLIENT_NOT_FOUND');
}

/** Withdraws a site: touches there are refused from now on. */
export async function withdrawTouchSite(
  db: Queryable,
  clientId: string,
  siteId: string,
): Promise<boolean> {
  const r = await db.query('DELETE FROM idp_touch_sites WHERE client_id = $1 AND site_id = $2', [
    clientId,
    siteId,
  ]);
  return r.rowCount === 1;
}

/** The client's declared sites, in id order. */
export async function listTouchSites(db: Queryable, clientId: string): Promise<TouchSite[]> {
  const r = await db.query<{
    site_id: string;
    name: string;
    staffed: boolean;
    face_to_face: boolean;
    assurance_level: number;
  }>(
    `SELECT site_id, name, staffed, face_to_face, assurance_level FROM idp_touch_sites
      WHERE client_id = $1 ORDER BY site_id`,
    [clientId],
  );
  return r.rows.map((x) => ({
    siteId: x.site_id,
    name: x.name,
    staffed: x.staffed,
    faceToFace: x.face_to_face,
    assuranceLevel: Number(x.assurance_level),
  }));
}

async function declaredSite(db: Queryable, clientId: string, siteId: string) {
  const r = await db.query<{ name: string }>(
    'SELECT name FROM idp_touch_sites WHERE client_id = $1 AND site_id = $2',
    [clientId, siteId],
  );
  const row = r.rows[0];
  if (!row) {
    throw new IdpError('TOUCH_SITE_UNDECLARED', {
      en: `site ${siteId} is not declared by ${clientId} for かざし利用 (only staffed, face-to-face sites of 保証レベル1 are)`,
      ja: `拠点 ${siteId} は ${clientId} のかざし利用の拠点として届け出られていません（有人・対面・保証レベル1の拠点のみ）`,
    });
  }
  return row;
}

export interface TouchRegistration {
  readonly ppid: string;
  readonly identifiedBy: 'pin-signature';
  /** False when the holder was registered for かざし利用 at this service already. */
  readonly created: boolean;
  readonly validation: ValidationAnswer;
}

/**
 * Registration for かざし利用 at the client's service: only with a PIN-verified
 * proof (the card's key after the 4-digit PIN, as `verifyProof` checks it).
 */
export async function registerTouch(
  deps: ProofDeps,
  client: Client,
  proof: ProofRequest,
): Promise<TouchRegistration> {
  const p = await verifyProofHolder(deps, { clientId: client.clientId }, proof);
  const r = await deps.db.query(
    `INSERT INTO idp_touch_registrations (sector, holder_id, registered_at) VALUES ($1, $2, $3)
     ON CONFLICT (sector, holder_id) DO NOTHING`,
    [client.sector, p.holderId, deps.now?.() ?? new Date()],
  );
  return {
    ppid: deps.holders.ppid(client.sector, p.holderId),
    identifiedBy: 'pin-signature',
    created: r.rowCount === 1,
    validation: p.validation,
  };
}

export interface TouchWithdrawal {
  readonly ppid: string;
  /** False when the holder was not registered for かざし利用 at this service. */
  readonly withdrawn: boolean;
}

/**
 * The holder withdraws from かざし利用 at the client's service, with the same
 * PIN-verified proof as a registration: a touch (public data, a copy of the card
 * gives it too) may not end someone else's registration.
 */
export async function withdrawTouch(
  deps: ProofDeps,
  client: Client,
  proof: ProofRequest,
): Promise<TouchWithdrawal> {
  const p = await verifyProofHolder(deps, { clientId: client.clientId }, proof);
  const r = await deps.db.query(
    'DELETE FROM idp_touch_registrations WHERE sector = $1 AND holder_id = $2',
    [client.sector, p.holderId],
  );
  return { ppid: deps.holders.ppid(client.sector, p.holderId), withdrawn: r.rowCount === 1 };
}

export interface TouchResult {
  readonly ppid: string;
  /** A touch alone: no PIN, no key possession. A service that needs more refuses it. */
  readonly identifiedBy: 'touch';
  readonly site: { readonly siteId: string; readonly name: string };
  readonly assuranceLevel: typeof TOUCH_ASSURANCE_LEVEL;
  readonly validation: ValidationAnswer;
}

export interface TouchDeps {
  readonly db: Db;
  readonly validator: CertificateValidator;
  readonly holders: HolderKeys;
}

/**
 * A touch at a site: the site is one the client declared; the certificate is a
 * valid 利用者証明用 one (OCSP, the CRL when OCSP is down); its holder registered
 * for かざし利用 at this client's service. Never registers.
 */
export async function identifyByTouch(
  deps: TouchDeps,
  client: Client,
  siteId: string,
  certificate: Uint8Array,
): Promise<TouchResult> {
  const site = await declaredSite(deps.db, client.clientId, siteId);
  const kind = deps.validator.classify(certificate);
  if (kind && kind.use !== 'auth') throw new IdpError('CERT_NOT_AUTH');
  const validation = await deps.validator.ocsp(certificate);
  if (validation.result.status !== 'valid') {
    throw new IdpError(
      'CERT_INVALID',
      {
        en: `the certificate is not valid: ${validation.reason.en}`,
        ja: `電子証明書が有効ではありません: ${validation.reason.ja}`,
      },
      { validation },
    );
  }
  const holderId = await deps.holders.holderOf(deps.db, certificate);
  const registered =
    holderId &&
    (
      await deps.db.query(
        'SELECT 1 FROM idp_touch_registrations WHERE sector = $1 AND holder_id = $2',
        [client.sector, holderId],
      )
    ).rows.length === 1;
  if (!holderId || !registered) throw new IdpError('TOUCH_NOT_REGISTERED');
  return {
    ppid: deps.holders.ppid(client.sector, holderId),
    identifiedBy: 'touch',
    site: { siteId, name: site.name },
    assuranceLevel: TOUCH_ASSURANCE_LEVEL,
    validation,
  };
}
