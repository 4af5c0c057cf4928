-- The identity platform's tables (owner: idp). Nothing here is a certificate
-- serial, a My Number or a PIN: certificates are found by a keyed hash, holders
-- are random ids, and PPIDs are derived (never stored) from a key kept outside
-- the database (docs/ppid.md).

-- Machine clients of the validation service and relying parties: who may ask what.
CREATE TABLE idp_clients (
  client_id     text PRIMARY KEY CHECK (client_id ~ '^[A-Za-z0-9._-]{3,64}$'),
  name          text NOT NULL,
  -- The PPID sector: clients of one service share it (and so their PPIDs).
  sector        text NOT NULL CHECK (sector ~ '^[A-Za-z0-9._:-]{1,128}$'),
  -- scrypt$N$r$p$salt$hash (base64url); null for a client that signs JWT assertions only.
  secret_hash   text,
  -- Public JWK set for signed JWT assertions (private_key_jwt, RFC 7523).
  jwks          jsonb,
  scopes        text[] NOT NULL,
  -- Origins whose pages may ask for an electronic user proof for this client.
  origins       text[] NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now(),
  disabled_at   timestamptz,
  CHECK (secret_hash IS NOT NULL OR jwks IS NOT NULL)
);

-- Access tokens of the client credentials grant, kept as SHA-256 only.
CREATE TABLE idp_tokens (
  token_hash  bytea PRIMARY KEY,
  client_id   text NOT NULL REFERENCES idp_clients ON DELETE CASCADE,
  scopes      text[] NOT NULL,
  expires_at  timestamptz NOT NULL
);
CREATE INDEX idp_tokens_expiry ON idp_tokens (expires_at);

-- JWT assertion ids seen, until the assertion expires: an assertion works once.
CREATE TABLE idp_assertion_jtis (
  client_id   text NOT NULL REFERENCES idp_clients ON DELETE CASCADE,
  jti         text NOT NULL,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (client_id, jti)
);

-- Challenges of the electronic user proof (電子利用者証明): single use, short-lived.
-- Asked for by a machine client (client_id), or made for a holder's sign-in at the
-- platform's own page (interaction: the OIDC interaction it belongs to).
CREATE TABLE idp_challenges (
  challenge   text PRIMARY KEY,
  client_id   text REFERENCES idp_clients ON DELETE CASCADE,
  interaction text,
  origin      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  CHECK ((client_id IS NULL) <> (interaction IS NULL))
);
CREATE INDEX idp_challenges_expiry ON idp_challenges (expires_at);

-- A holder: a random id, the root of the holder's PPIDs. Survives card renewal.
CREATE TABLE idp_holders (
  holder_id   bytea PRIMARY KEY CHECK (octet_length(holder_id) = 32),
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- The holder's certificates, by keyed hash of (issuer, serial), never the serial.
CREATE TABLE idp_holder_certs (
  cert_key    bytea PRIMARY KEY CHECK (octet_length(cert_key) = 32),
  holder_id   bytea NOT NULL REFERENCES idp_holders ON DELETE CASCADE,
  -- registration: a PIN-verified proof; issuer-link: the issuer's old→new link;
  -- relink: the holder proved the new card and showed the old sign certificate.
  linked_via  text NOT NULL CHECK (linked_via IN ('registration', 'issuer-link', 'relink')),
  linked_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idp_holder_certs_holder ON idp_holder_certs (holder_id);
