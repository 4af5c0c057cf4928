-- myna-ap loading system (カードAP搭載システム): the whole schema, version 1.
-- Read docs/loader.md for the model; comments here say why a constraint exists.

-- サービス提供者. id is the provider ID written into every card AP (1..16 ASCII).
CREATE TABLE providers (
  id                text PRIMARY KEY CHECK (id ~ '^[A-Z0-9][A-Z0-9_-]{0,15}$'),
  name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  kind              text NOT NULL CHECK (kind IN ('national', 'prefecture', 'municipality', 'agency', 'private')),
  -- 全国地方公共団体コード (6 digits with check digit) for municipalities,
  -- the 2-digit prefecture code for prefectures.
  municipality_code text CHECK (municipality_code ~ '^[0-9]{6}$'),
  prefecture_code   text CHECK (prefecture_code ~ '^[0-9]{2}$'),
  -- 条例 / 告示 / 法基準適合性確認: { kind, reference, date }
  legal_basis       jsonb NOT NULL,
  contact           jsonb NOT NULL,
  status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'retired')),
  -- A partner store (提携店) only uses the card APs of its representative.
  representative_id text REFERENCES providers (id),
  can_load          boolean NOT NULL DEFAULT true,
  -- AID range: aid_prefix ‖ one serial byte; aid_next is the next serial to hand out.
  aid_prefix        bytea NOT NULL UNIQUE,
  aid_next          integer NOT NULL DEFAULT 0 CHECK (aid_next BETWEEN 0 AND 256),
  created_at        timestamptz NOT NULL DEFAULT now(),
  CHECK (kind <> 'municipality' OR municipality_code IS NOT NULL),
  CHECK (kind <> 'prefecture' OR prefecture_code IS NOT NULL),
  CHECK (representative_id IS NULL OR representative_id <> id),
  CHECK (representative_id IS NOT NULL OR can_load)
);
CREATE SEQUENCE provider_aid_seq MINVALUE 1 MAXVALUE 65535;

-- 搭載端末 (a loading terminal with its reader), owned by one provider.
CREATE TABLE terminals (
  id          text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
  provider_id text NOT NULL REFERENCES providers (id),
  name        text NOT NULL,
  -- 自動搭載: card AP ids loaded without choosing each time (empty = choose).
  auto_load   jsonb NOT NULL DEFAULT '[]',
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- オペレーター. Platform operators (機構) have no provider; everyone else exactly one.
CREATE TABLE operators (
  id              text PRIMARY KEY,
  login           text NOT NULL UNIQUE CHECK (login ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
  display_name    text NOT NULL,
  provider_id     text REFERENCES providers (id),
  role            text NOT NULL CHECK (role IN ('platform', 'administrator', 'loading_operator', 'auditor', 'read_only')),
  password_hash   text NOT NULL,
  failed_logins   integer NOT NULL DEFAULT 0,
  locked_until    timestamptz,
  status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  CHECK ((role = 'platform') = (provider_id IS NULL))
);

CREATE TABLE operator_terminals (
  operator_id text NOT NULL REFERENCES operators (id),
  terminal_id text NOT NULL REFERENCES terminals (id),
  PRIMARY KEY (operator_id, terminal_id)
);

-- Session tokens: only their SHA-256 is stored.
CREATE TABLE sessions (
  token_hash  bytea PRIMARY KEY,
  operator_id text NOT NULL REFERENCES operators (id),
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz
);
CREATE INDEX sessions_operator ON sessions (operator_id);

-- WebAuthn credentials (生体認証機器), used by the console.
CREATE TABLE webauthn_credentials (
  credential_id bytea PRIMARY KEY,
  operator_id   text NOT NULL REFERENCES operators (id),
  public_key    bytea NOT NULL,            -- COSE_Key
  sign_count    bigint NOT NULL DEFAULT 0, -- a decrease means a cloned authenticator
  transports    jsonb NOT NULL DEFAULT '[]',
  aaguid        bytea,
  nickname      text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz
);

-- カードAP管理: a provider's card AP, from request to retirement.
CREATE TABLE card_aps (
  id            text PRIMARY KEY,
  provider_id   text NOT NULL REFERENCES providers (id),
  name          text NOT NULL,
  type          text NOT NULL CHECK (type IN ('A', 'C', 'D', 'custom')),
  -- Which free area(s) it may go into.
  areas         jsonb NOT NULL,
  status        text NOT NULL CHECK (status IN ('requested', 'approved', 'rejected', 'suspended', 'retired')),
  aid           bytea UNIQUE,              -- assigned on first approval
  version       integer NOT NULL DEFAULT 0, -- current approved version (0: none yet)
  -- What the provider asked for (size, data, custom input file / template); a
  -- new version request replaces it until approved.
  requested     jsonb NOT NULL,
  pending       boolean NOT NULL DEFAULT true,
  requested_at  timestamptz NOT NULL,
  requested_by  text NOT NULL REFERENCES operators (id),
  CHECK (status IN ('requested', 'rejected') OR aid IS NOT NULL)
);
CREATE INDEX card_aps_provider ON card_aps (provider_id);

-- Fixed parameters of each approved version.
CREATE TABLE card_ap_versions (
  card_ap_id   text NOT NULL REFERENCES card_aps (id),
  version      integer NOT NULL CHECK (version >= 1),
  size         integer NOT NULL CHECK (size BETWEEN 13 AND 4096),
  access       jsonb NOT NULL,
  spec         jsonb NOT NULL,
  approved_at  timestamptz NOT NULL,
  approved_by  text NOT NULL REFERENCES operators (id),
  PRIMARY KEY (card_ap_id, version)
);

-- 共同利用 / 提携店: providers other than the owner that use a card AP.
CREATE TABLE card_ap_users (
  card_ap_id  text NOT NULL REFERENCES card_aps (id),
  provider_id text NOT NULL REFERENCES providers (id),
  relation    text NOT NULL CHECK (relation IN ('joint', 'partner')),
  since       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (card_ap_id, provider_id)
);

-- Cards the system has met. card_id is the card's serial (from its 共通カードAP).
CREATE TABLE cards (
  card_id           text PRIMARY KEY CHECK (length(card_id) BETWEEN 1 AND 64),
  status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'lost', 'suspended', 'revoked')),
  -- Where the holder is registered (住民票のある市区町村), as last read or supplied.
  municipality_code text CHECK (municipality_code ~ '^[0-9]{6}$'),
  status_changed_at timestamptz NOT NULL DEFAULT now(),
  first_seen_at     timestamptz NOT NULL DEFAULT now()
);

-- 本人の希望: the holder's consent to load (or request to delete) a card AP.
CREATE TABLE consents (
  id          text PRIMARY KEY,
  card_id     text NOT NULL REFERENCES cards (card_id),
  card_ap_id  text NOT NULL REFERENCES card_aps (id),
  provider_id text NOT NULL REFERENCES providers (id),
  purpose     text NOT NULL CHECK (purpose IN ('load', 'delete')),
  method      text NOT NULL CHECK (method IN ('counter_form', 'counter_signature', 'online')),
  given_at    timestamptz NOT NULL,
  recorded_by text NOT NULL REFERENCES operators (id),
  note        text
);

-- Card AP instances: one row per load, the saga's record. A row is never
-- deleted, so a user ID is never handed out twice.
CREATE TABLE card_ap_instances (
  id           text PRIMARY KEY,
  card_id      text NOT NULL REFERENCES cards (card_id),
  area         text NOT NULL CHECK (area IN ('local', 'extended')),
  card_ap_id   text NOT NULL REFERENCES card_aps (id),
  version      integer NOT NULL,
  aid          bytea NOT NULL,
  user_id      bytea NOT NULL CHECK (length(user_id) = 13),
  provider_id  text NOT NULL REFERENCES providers (id),
  terminal_id  text REFERENCES terminals (id),
  state        text NOT NULL CHECK (state IN ('pending', 'loaded', 'deleting', 'deleted', 'failed')),
  -- Last card step known to be done (saga bookkeeping), e.g. 'install', 'verify'.
  step         text,
  consent_id   text REFERENCES consents (id),
  created_at   timestamptz NOT NULL,
  created_by   text NOT NULL REFERENCES operators (id),
  loaded_at    timestamptz,
  deleted_at   timestamptz,
  deleted_by   text REFERENCES operators (id),
  delete_reason text CHECK (delete_reason IN ('holder_request', 'move_in', 'rollback', 'retired')),
  error        jsonb,
  updated_at   timestamptz NOT NULL,
  FOREIGN KEY (card_ap_id, version) REFERENCES card_ap_versions (card_ap_id, version)
);
-- 利用者ID: unique across the system, for ever.
CREATE UNIQUE INDEX card_ap_instances_user_id ON card_ap_instances (user_id);
-- No duplicate: at most one live instance of an AID per card.
CREATE UNIQUE INDEX card_ap_instances_live ON card_ap_instances (card_id, aid)
  WHERE state IN ('pending', 'loaded', 'deleting');
-- Recovery finds unfinished sagas.
CREATE INDEX card_ap_instances_unfinished ON card_ap_instances (state, updated_at)
  WHERE state IN ('pending', 'deleting');

-- Audit log (監査ログ): append-only and hash-chained. seq has no gaps: it is the
-- head's seq + 1, taken under the head row's lock, so a deleted row shows.
CREATE TABLE audit_log (
  seq       bigint PRIMARY KEY CHECK (seq >= 1),
  at        timestamptz NOT NULL,
  actor     text NOT NULL,
  action    text NOT NULL,
  target    text,
  detail    jsonb NOT NULL,
  prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash      text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$')
);
-- The chain's head: one row, locked by every append (serializes writers, and a
-- truncated tail no longer matches it).
CREATE TABLE audit_head (
  id   integer PRIMARY KEY CHECK (id = 1),
  seq  bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, repeat('0', 64));

-- The application never updates or deletes audit rows; refuse it in the database
-- too. (A superuser can still disable the trigger: the hash chain catches that.)
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = '42501';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Service hours (サービス提供時間) configuration, one row.
CREATE TABLE settings (
  key   text PRIMARY KEY,
  value jsonb NOT NULL
);
