-- The operator console: idle timeouts of its sessions, WebAuthn (生体認証機器)
-- enrolment, revocation and recovery, a provider's rule that its operators log in
-- with an authenticator, and the short-lived steps of a login (store/consoleAuth.ts).

-- A console session ends after idle_ms without a request (NULL: API tokens, no idle limit).
ALTER TABLE sessions ADD COLUMN last_seen_at timestamptz;
ALTER TABLE sessions ADD COLUMN idle_ms integer CHECK (idle_ms > 0);

-- A revoked authenticator stays listed (and audited) but never logs in again.
ALTER TABLE webauthn_credentials ADD COLUMN revoked_at timestamptz;
ALTER TABLE webauthn_credentials ADD COLUMN revoked_by text REFERENCES operators (id);
ALTER TABLE webauthn_credentials ADD COLUMN enrolled_by text REFERENCES operators (id);
CREATE INDEX webauthn_credentials_operator ON webauthn_credentials (operator_id);

-- The provider's operators must log in with an authenticator.
ALTER TABLE providers ADD COLUMN require_webauthn boolean NOT NULL DEFAULT false;

-- An enrolment (or, after a loss, recovery) an administrator issued: the operator
-- registers an authenticator with the code once. Only the code's SHA-256 is kept.
CREATE TABLE webauthn_enrolments (
  code_hash   bytea PRIMARY KEY,
  operator_id text NOT NULL REFERENCES operators (id),
  purpose     text NOT NULL CHECK (purpose IN ('enrol', 'recovery')),
  issued_by   text NOT NULL REFERENCES operators (id),
  issued_at   timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX webauthn_enrolments_operator ON webauthn_enrolments (operator_id);

-- One step of a login in flight: the WebAuthn challenge after a right password, or
-- a one-time login link (`npm start`). Used once, within minutes.
CREATE TABLE login_tickets (
  id            text PRIMARY KEY,
  operator_id   text NOT NULL REFERENCES operators (id),
  purpose       text NOT NULL CHECK (purpose IN ('webauthn', 'enrol', 'one_time')),
  challenge     text,
  enrolment     bytea REFERENCES webauthn_enrolments (code_hash),
  expires_at    timestamptz NOT NULL,
  used_at       timestamptz
);
