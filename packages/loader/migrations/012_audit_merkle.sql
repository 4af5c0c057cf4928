-- The audit log (監査ログ) as a Merkle tree (RFC 9162), not one hash chain: a
-- writer appends its row with no lock (seq NULL, its leaf hash computed from the
-- row alone); the sequencer (store/audit.ts, one at a time under an advisory
-- lock) gives committed rows their seq in batches, stores the tree's new nodes
-- and a signed checkpoint. docs/audit.md.

-- Rows of the old chain keep their seq, prev_hash and hash, and get an id and a
-- leaf: SHA-256(0x00 ‖ their chain hash), which already commits to the row and to
-- the rows before it. The sequencer takes them into the tree first, in seq order.
DROP TRIGGER audit_log_no_update ON audit_log;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey;
ALTER TABLE audit_log ADD COLUMN id text;
UPDATE audit_log SET id = 'au_' || lpad(to_hex(seq), 24, '0');
ALTER TABLE audit_log
  ALTER COLUMN id SET NOT NULL,
  ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id),
  ADD CONSTRAINT audit_log_id CHECK (id ~ '^au_[0-9a-f]{24}$'),
  ALTER COLUMN seq DROP NOT NULL,
  ADD CONSTRAINT audit_log_seq_key UNIQUE (seq),
  ALTER COLUMN prev_hash DROP NOT NULL,
  ALTER COLUMN hash DROP NOT NULL,
  ADD CONSTRAINT audit_log_chain CHECK ((prev_hash IS NULL) = (hash IS NULL)),
  ADD COLUMN leaf_hash bytea;
UPDATE audit_log SET leaf_hash = sha256('\x00'::bytea || convert_to(hash, 'UTF8'));
ALTER TABLE audit_log
  ALTER COLUMN leaf_hash SET NOT NULL,
  ADD CONSTRAINT audit_log_leaf CHECK (octet_length(leaf_hash) = 32);
-- The order rows were appended in (within one transaction, exactly; across
-- transactions, about): the sequencer's order for rows without a position.
ALTER TABLE audit_log ADD COLUMN appended bigserial;
CREATE INDEX audit_log_unsequenced ON audit_log (appended) WHERE seq IS NULL;

-- Rows are still never changed or deleted; the one write allowed is the
-- sequencer's: a NULL seq set once, every other column as it was.
CREATE FUNCTION audit_log_sequence_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
     AND (NEW.id, NEW.at, NEW.actor, NEW.action, NEW.target, NEW.detail,
          NEW.prev_hash, NEW.hash, NEW.leaf_hash, NEW.appended)
         IS NOT DISTINCT FROM
         (OLD.id, OLD.at, OLD.actor, OLD.action, OLD.target, OLD.detail,
          OLD.prev_hash, OLD.hash, OLD.leaf_hash, OLD.appended) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = '42501';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_sequence_only();

-- The old chain's head stays as it was (what the migrated rows are checked
-- against); nothing writes it any more.
COMMENT ON TABLE audit_head IS 'the end of the hash chain before 012_audit_merkle; read only';

-- The tree's perfect subtrees of two leaves or more (level = log2 of the width,
-- idx = first leaf / width); the leaves are audit_log.leaf_hash by seq - 1.
CREATE TABLE audit_tree (
  level smallint NOT NULL CHECK (level BETWEEN 1 AND 62),
  idx   bigint NOT NULL CHECK (idx >= 0),
  hash  bytea NOT NULL CHECK (octet_length(hash) = 32),
  PRIMARY KEY (level, idx)
);

-- A checkpoint per batch: the tree's size and root at `at`, signed by the
-- platform's audit key (key_id and signature NULL on a server started without one).
CREATE TABLE audit_checkpoints (
  size      bigint PRIMARY KEY CHECK (size >= 1),
  root      bytea NOT NULL CHECK (octet_length(root) = 32),
  at        timestamptz NOT NULL,
  key_id    text,
  signature bytea,
  CHECK ((key_id IS NULL) = (signature IS NULL))
);

CREATE TRIGGER audit_tree_no_update BEFORE UPDATE OR DELETE ON audit_tree
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_tree_no_truncate BEFORE TRUNCATE ON audit_tree
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- The status feed's order (store/feed.ts). Writers no longer queue on the audit
-- head, so the feed keeps "seq order is commit order" itself: inserting a status
-- event or a notice first locks feed_order (held to commit), then draws its seq.
-- A reader that has seen seq n can never miss a row that commits later with a
-- smaller one. Only writers of the feed queue here.
CREATE TABLE feed_order (id integer PRIMARY KEY CHECK (id = 1));
INSERT INTO feed_order (id) VALUES (1);
CREATE FUNCTION feed_seq_in_commit_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  LOCK TABLE feed_order IN SHARE ROW EXCLUSIVE MODE;
  NEW.seq := nextval(pg_get_serial_sequence(format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME), 'seq'));
  RETURN NEW;
END $$;
CREATE TRIGGER card_status_events_seq BEFORE INSERT ON card_status_events
  FOR EACH ROW EXECUTE FUNCTION feed_seq_in_commit_order();
CREATE TRIGGER provider_notices_seq BEFORE INSERT ON provider_notices
  FOR EACH ROW EXECUTE FUNCTION feed_seq_in_commit_order();
-- The trigger draws the seq: the bigserial default would draw one more first
-- (every other number lost). The sequences stay owned by their columns.
ALTER TABLE card_status_events ALTER COLUMN seq DROP DEFAULT;
ALTER TABLE provider_notices ALTER COLUMN seq DROP DEFAULT;
COMMENT ON COLUMN card_status_events.seq IS 'drawn under feed_order: seq order is commit order';
COMMENT ON COLUMN provider_notices.seq IS 'drawn under feed_order: seq order is commit order';
