/** What every store function gets: the database, the clock and the policies. */
import type { Db } from '@myna-ap/db';
import type { LoaderKeyStore } from '../keys/keyStore.ts';
import type { ScryptCost } from '../domain/password.ts';
import type { LockoutPolicy } from '../domain/login.ts';
import type { ServiceHours } from '../domain/rules/serviceHours.ts';
import type { OperatorId, ProviderId, TerminalId } from '../domain/ids.ts';
import { can, type Action, type Actor, type Resource, type Role } from '../domain/roles.ts';
import { forbidden } from '../errors.ts';

export interface LoaderConfig {
  readonly scrypt: ScryptCost;
  readonly lockout: LockoutPolicy;
  readonly sessionTtlMs: number;
  readonly serviceHours: ServiceHours;
}

export interface Ctx {
  readonly db: Db;
  readonly config: LoaderConfig;
  readonly now: () => Date;
  /** Area master keys and card AP keys (never sent to a terminal). */
  readonly keys: LoaderKeyStore;
  /**
   * Checks a card's JPKI auth certificate (chain + OCSP or CRL), for diagnose;
   * absent: only its validity dates are checked.
   */
  readonly certificateCheck?: CertificateCheck | undefined;
  /** The daily lists' signer, made on first use (key generation costs a moment); absent: lists are not signed. */
  readonly feedSigner?: (() => Promise<FeedSigner>) | undefined;
  /**
   * 新旧紐付け: the card a renewed or reissued card replaced, as the JPKI issuer
   * linked them (@myna-ap/pki's RevocationLog `previousCardOf`, wired by `myna
   * serve --jpki DIR`); absent: card APs cannot be carried over (cardops/carryOver.ts).
   */
  readonly previousCardOf?: ((cardId: string) => Promise<string | undefined>) | undefined;
  /** The audit log's checkpoint signer (keys/auditSigner.ts); absent: checkpoints are unsigned. */
  readonly auditSigner?: (() => Promise<AuditSigner>) | undefined;
}

/** The platform's Ed25519 key that signs the audit log's checkpoints. */
export interface AuditSigner {
  /** `checkpointKeyId` of the public key. */
  readonly keyId: string;
  /** SubjectPublicKeyInfo, DER. */
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** The answer of a certificate check (the shapes of @myna-ap/pki's `Validation`). */
export interface CertificateStatus {
  readonly status: string;
  readonly [detail: string]: unknown;
}
export type CertificateCheck = (certDer: Uint8Array) => Promise<CertificateStatus>;

/**
 * Who signs the published daily lists: a key in a key store and its certificate
 * (`@myna-ap/pki`'s file signer; wired by serve.ts).
 */
export interface FeedSigner {
  /** The signer's certificate, DER: what systems pin. */
  readonly certificate: Uint8Array;
  /** A detached CMS signature over `content`. */
  sign(content: Uint8Array, at: Date): Promise<Uint8Array>;
}

/** The operator behind a request, after authentication. */
export interface Session extends Actor {
  readonly operatorId: OperatorId;
  readonly login: string;
  readonly role: Role;
  readonly providerId: ProviderId | null;
  readonly terminals: readonly TerminalId[];
  readonly expiresAt: Date;
}

/** Throws FORBIDDEN unless the session may do `action` on `resource`. */
export function authorize(s: Session, action: Action, resource: Resource = {}): void {
  if (!can(s, action, resource)) throw forbidden(action);
}
