-- The OIDC provider (oidc-provider): relying parties are clients with exact
-- redirect URIs, and the provider's own records (sessions, interactions, codes,
-- tokens, grants) are kept here instead of in memory, so they survive a restart
-- and work with several server processes.
ALTER TABLE idp_clients ADD COLUMN redirect_uris text[] NOT NULL DEFAULT '{}';

CREATE TABLE idp_oidc_records (
  model       text NOT NULL,
  id          text NOT NULL,
  payload     jsonb NOT NULL,
  grant_id    text,
  uid         text,
  expires_at  timestamptz,
  consumed_at timestamptz,
  PRIMARY KEY (model, id)
);
CREATE INDEX idp_oidc_records_grant ON idp_oidc_records (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX idp_oidc_records_uid ON idp_oidc_records (uid) WHERE uid IS NOT NULL;
CREATE INDEX idp_oidc_records_expiry ON idp_oidc_records (expires_at);
