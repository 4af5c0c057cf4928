-- The business systems' staff accounts and their audit trail (owner "app_kit"), in
-- each app's own database. Every row names its app, so systems sharing one
-- PostgreSQL keep apart.

-- 職員アカウント: a named login with one role of the app; the password as scrypt.
CREATE TABLE app_staff_accounts (
  app           text NOT NULL,
  login         text NOT NULL CHECK (login ~ '^[A-Za-z0-9._-]{1,32}$'),
  role          text NOT NULL,
  password_hash text NOT NULL,
  failed_logins integer NOT NULL DEFAULT 0,
  locked_until  timestamptz,
  disabled_at   timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (app, login)
);

-- 操作記録: who did what (sign-in refusals, role refusals, every change), append-only.
-- No request body is kept: never a password or a PIN.
CREATE TABLE app_staff_audit (
  seq     bigserial PRIMARY KEY,
  app     text NOT NULL,
  at      timestamptz NOT NULL,
  actor   text NOT NULL,
  action  text NOT NULL,
  outcome text NOT NULL,
  detail  jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX app_staff_audit_app ON app_staff_audit (app, seq);

CREATE FUNCTION app_staff_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'app_staff_audit is append-only';
END $$;
CREATE TRIGGER app_staff_audit_append_only BEFORE UPDATE OR DELETE ON app_staff_audit
  FOR EACH ROW EXECUTE FUNCTION app_staff_audit_append_only();
