/**
 * The OIDC provider (MKPF 類型①), on oidc-provider, shaped like the デジタル認証アプリ's
 * public API so that a relying party changes only the issuer: the authorization
 * code flow only, with `state`, `nonce` and PKCE S256 required; `private_key_jwt`
 * client authentication; pairwise `sub` = the holder's PPID at the client's sector;
 * scopes `openid name address birthdate gender`; acr `aal3` (the card's key after
 * the PIN). Every sign-in is a new card proof: no silent sign-in from an older
 * session. The holder's part (the interaction) is in ./interaction.ts.
 */
import Provider, {
  errors,
  interactionPolicy,
  type Configuration,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import type { JWK } from 'jose';
import type { Db } from '@myna-ap/db';
import { IDP_ERRORS, type IdpErrorCode } from '../errors.ts';
import type { HolderKeys } from '../ppid/holders.ts';
import { dbAdapter } from './adapter.ts';
import { holderClaims } from './claims.ts';

/** The scopes a relying party may ask for; the 4 info ones need the 署名用 certificate. */
export const OIDC_SCOPES = ['openid', 'name', 'address', 'birthdate', 'gender', 'sign'] as const;
export const FOUR_INFO_SCOPES = ['name', 'address', 'birthdate', 'gender'] as const;
/** aal3: a hardware key (the card) after the PIN. */
export const ACR_AAL3 = 'aal3';

export interface OidcOptions {
  /** The provider's issuer URL, mount path included (e.g. https://idp.example.jp/oidc). */
  readonly issuer: string;
  readonly db: Db;
  readonly holders: HolderKeys;
  /** Private JWKs the ID tokens are signed with (RS256 or ES256). */
  readonly signingKeys: readonly JWK[];
  /** Keys the provider's cookies are signed with (newest first). */
  readonly cookieKeys: readonly string[];
}

/** An authorization request refused before the holder sees anything (redirected to the client). */
function refuse(code: IdpErrorCode): never {
  throw new errors.InvalidRequest(`${IDP_ERRORS[code].en} (${code})`);
}

function policy() {
  const p = interactionPolicy.base();
  const login = p.get('login')!;
  const { Check } = interactionPolicy;
  // Checked first, while the request is the client's alone: what the
  // デジタル認証アプリ's API requires beyond oidc-provider's defaults.
  login.checks.add(
    new Check('state_nonce_required', 'state and nonce are required', (ctx) => {
      if (!ctx.oidc.params?.state) refuse('OIDC_STATE_REQUIRED');
      if (!ctx.oidc.params?.nonce) refuse('OIDC_NONCE_REQUIRED');
      return Check.NO_NEED_TO_PROMPT;
    }),
    0,
  );
  login.checks.add(
    new Check('card_proof', 'every sign-in is a new card proof', (ctx) =>
      ctx.oidc.result?.login ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT,
    ),
  );
  return p;
}

export function makeOidcProvider(o: OidcOptions): Provider {
  const config: Configuration = {
    adapter: dbAdapter(o.db),
    jwks: {
      keys: o.signingKeys.map((k) => ({ ...k })) as NonNullable<Configuration['jwks']>['keys'],
    },
    cookies: { keys: [...o.cookieKeys] },
    responseTypes: ['code'],
    clientAuthMethods: ['private_key_jwt'],
    pkce: { required: () => true },
    scopes: [...OIDC_SCOPES],
    // Scope sign: the client's sign transaction the holder approves (../sign/transactions.ts).
    extraParams: ['sign_transaction'],
    // acr, auth_time, sid, iss: oidc-provider's own (kept when claims are configured).
    claims: {
      acr: null,
      auth_time: null,
      sid: null,
      iss: null,
      openid: ['sub'],
      name: ['name'],
      address: ['address'],
      birthdate: ['birthdate'],
      gender: ['gender'],
    },
    // crl: the holder's certificate checked by the CRL 方式 instead of OCSP.
    acrValues: [ACR_AAL3, 'crl'],
    subjectTypes: ['pairwise'],
    extraClientMetadata: { properties: ['sector'] },
    pairwiseIdentifier: (_ctx, accountId, client) =>
      o.holders.ppid(String(client['sector'] ?? client.clientId), Buffer.from(accountId, 'hex')),
    findAccount: async (ctx: KoaContextWithOIDC, accountId, token) => {
      const grantId = token?.grantId ?? ctx.oidc.entities.Grant?.jti;
      return {
        accountId,
        claims: async (_use, scope) => ({
          sub: accountId,
          ...(grantId ? await holderClaims(o.db, grantId, scope) : {}),
        }),
      };
    },
    interactions: {
      policy: policy(),
      url: (_ctx, interaction) =>
        `${new URL(o.issuer).pathname.replace(/\/$/, '')}/interaction/${interaction.uid}`,
    },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      revocation: { enabled: false },
    },
    ttl: {
      Interaction: 600,
      Session: 600,
      Grant: 600,
      AuthorizationCode: 60,
      AccessToken: 600,
      IdToken: 600,
    },
    renderError: async (ctx, out) => {
      ctx.type = 'application/json';
      ctx.body = out;
    },
  };
  return new Provider(o.issuer, config);
}
