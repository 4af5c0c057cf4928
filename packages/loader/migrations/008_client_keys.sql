-- API clients that authenticate with a signed JWT (private_key_jwt, RFC 7523)
-- instead of a secret: the client's public key (a JWK, EC P-256 or RSA >= 2048),
-- and the assertions' ids seen until they expire, so none is accepted twice.

ALTER TABLE api_clients ALTER COLUMN secret_hash DROP NOT NULL;
ALTER TABLE api_clients ADD COLUMN public_jwk jsonb;
-- Exactly one way to authenticate per client.
ALTER TABLE api_clients ADD CONSTRAINT api_clients_one_method
  CHECK ((secret_hash IS NULL) <> (public_jwk IS NULL));

CREATE TABLE api_client_assertions (
  client_id  text NOT NULL REFERENCES api_clients (id),
  jti        text NOT NULL CHECK (length(jti) BETWEEN 1 AND 200),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (client_id, jti)
);
