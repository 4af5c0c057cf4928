-- 端末エージェント: the key pairs terminal agents (myna terminal run) authenticate
-- the channel with. An agent enrols with its public key and gets a code; an
-- administrator of the terminal's provider approves the code; afterwards the agent
-- answers the channel's challenge with a signature. Revoked is for good.
CREATE TABLE terminal_agents (
  id          text PRIMARY KEY,
  terminal_id text NOT NULL REFERENCES terminals (id),
  -- Ed25519 public key, SubjectPublicKeyInfo DER.
  public_key  bytea NOT NULL UNIQUE,
  -- The approval code (承認コード) the agent printed; spent once approved.
  code        text UNIQUE,
  state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'revoked')),
  created_at  timestamptz NOT NULL,
  approved_by text REFERENCES operators (id),
  approved_at timestamptz,
  revoked_by  text REFERENCES operators (id),
  revoked_at  timestamptz,
  CHECK ((state = 'pending') = (code IS NOT NULL))
);
CREATE INDEX terminal_agents_terminal ON terminal_agents (terminal_id);
