/**
 * API clients of business systems (業務システム, seeds/002 III-2 (2)): machine
 * credentials a platform operator or the provider's administrator creates and
 * revokes. The client exchanges its secret at `POST /v1/oauth/token` (RFC 6749
 * client credentials, http/clientToken.ts) for a 15-minute bearer token that
 * reaches only the status feed, the notices and the provider's key packages.
 */
import { z } from 'zod';
import { providerIdSchema } from './schemas.ts';

/** What a client id looks like (`cl_` and 24 hex digits). */
export const apiClientIdSchema = z.string().regex(/^cl_[0-9a-f]{24}$/);

export const newApiClientBody = z
  .object({
    providerId: providerIdSchema,
    name: z.string().min(1).max(100),
    /**
     * The client's public key (PEM SubjectPublicKeyInfo or a JWK; EC P-256 or RSA
     * >= 2048): it then authenticates with signed JWTs (private_key_jwt) and gets no secret.
     */
    publicKey: z.string().min(1).max(8000).optional(),
  })
  .strict();
export const apiClientsQuery = z.object({ providerId: providerIdSchema.optional() }).strict();
export const apiClientParams = z.object({ id: apiClientIdSchema }).strict();

export const apiClientSchema = z
  .object({
    id: apiClientIdSchema,
    providerId: providerIdSchema,
    name: z.string(),
    /** How it proves itself at the token endpoint. */
    authMethod: z.enum(['client_secret', 'private_key_jwt']),
    createdBy: z.string(),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .strict();
export type ApiClientView = z.infer<typeof apiClientSchema>;

/** The answer of a creation: the secret (none for a key client) is in it once and is never shown again. */
export const createdApiClientSchema = z
  .object({ client: apiClientSchema, secret: z.string().optional() })
  .strict();

/** The token request's fields (form-encoded, as RFC 6749 §4.4 says, or JSON). */
export const clientTokenBody = z
  .object({
    grant_type: z.string().max(100),
    client_id: z.string().max(100).optional(),
    client_secret: z.string().max(200).optional(),
    /** private_key_jwt (RFC 7523 §2.2): the type and the signed JWT. */
    client_assertion_type: z.string().max(100).optional(),
    client_assertion: z.string().max(8000).optional(),
    scope: z.string().max(200).optional(),
  })
  .strict();

/** RFC 6749 §5.1's answer. */
export const clientTokenSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().positive(),
  })
  .strict();

/** The contract operations of API clients (spread into contract/api.ts's table). */
export const CLIENT_OPERATIONS = {
  createApiClient: {
    method: 'POST',
    path: '/v1/clients',
    summary:
      'Create an API client of a business system for a provider; the answer shows its secret once',
    tag: 'api clients',
    auth: true,
    body: newApiClientBody,
    response: createdApiClientSchema,
    status: 201,
  },
  listApiClients: {
    method: 'GET',
    path: '/v1/clients',
    summary: 'API clients in your scope (a platform operator may filter by provider)',
    tag: 'api clients',
    auth: true,
    query: apiClientsQuery,
    response: z.array(apiClientSchema),
  },
  revokeApiClient: {
    method: 'POST',
    path: '/v1/clients/:id/revoke',
    summary: 'Revoke an API client: no new token, and its tokens stop at once',
    tag: 'api clients',
    auth: true,
    params: apiClientParams,
    response: apiClientSchema,
  },
  clientToken: {
    method: 'POST',
    path: '/v1/oauth/token',
    summary:
      'Exchange an API client’s id and secret (HTTP Basic or the body), or a JWT it signed (client_assertion, RFC 7523), for a 15-minute bearer token (grant_type=client_credentials)',
    tag: 'api clients',
    auth: false,
    form: true,
    body: clientTokenBody,
    response: clientTokenSchema,
  },
} as const;
