-- The signature API: a client's sign transaction (a SHA-256 DigestInfo to be
-- signed with the holder's 署名用 key), approved by the holder in an OIDC flow
-- with scope `sign`; the result is kept as the platform's signed JWT for the
-- client that asked. No PIN or password is ever stored.
CREATE TABLE idp_sign_transactions (
  id           text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{22,64}$'),
  client_id    text NOT NULL REFERENCES idp_clients (client_id),
  digest_info  bytea NOT NULL,
  created_at   timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  signed_at    timestamptz,
  result_jwt   text
);
CREATE INDEX idp_sign_transactions_expiry ON idp_sign_transactions (expires_at);
