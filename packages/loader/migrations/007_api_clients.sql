-- Machine credentials of business systems (業務システム): a provider's API client
-- exchanges its secret for a short-lived bearer token (store/apiClients.ts). Only
-- SHA-256 of the secret and of each token is kept.

CREATE TABLE api_clients (
  id          text PRIMARY KEY,
  provider_id text NOT NULL REFERENCES providers (id),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  secret_hash bytea NOT NULL,
  created_by  text NOT NULL REFERENCES operators (id),
  created_at  timestamptz NOT NULL,
  -- A revoked client stays listed (and audited) but gets no token, and its tokens stop.
  revoked_at  timestamptz,
  revoked_by  text REFERENCES operators (id)
);
CREATE INDEX api_clients_provider ON api_clients (provider_id);

CREATE TABLE api_client_tokens (
  token_hash bytea PRIMARY KEY,
  client_id  text NOT NULL REFERENCES api_clients (id),
  issued_at  timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX api_client_tokens_client ON api_client_tokens (client_id);
