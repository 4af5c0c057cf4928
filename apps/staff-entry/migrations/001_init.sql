-- 職員証・入退室: the staff entry system's tables (owner "staff_entry").

-- 職員: by the staff number the organisation gives.
CREATE TABLE staff_members (
  staff_no      text PRIMARY KEY,               -- 職員番号
  name          text NOT NULL,
  registered_at timestamptz NOT NULL DEFAULT now()
);

-- The staff card's two type D card APs, by the user IDs the loading system drew:
-- 'touch' (system-fixed PIN: read by a touch) and 'pin' (the holder's PIN).
CREATE TABLE staff_cards (
  user_id   text PRIMARY KEY CHECK (user_id ~ '^[0-9A-F]{26}$'),
  staff_no  text NOT NULL REFERENCES staff_members (staff_no),
  kind      text NOT NULL CHECK (kind IN ('touch', 'pin')),
  linked_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX staff_cards_one ON staff_cards (staff_no, kind);

-- 扉: a door terminal's room, low-risk or secure (セキュリティ区画).
CREATE TABLE staff_doors (
  door_id text PRIMARY KEY,
  name    text NOT NULL,
  level   text NOT NULL CHECK (level IN ('low', 'secure'))
);

-- 入室権限: one door, days of the week, a window of Japan time (minutes).
CREATE TABLE staff_permissions (
  id       bigserial PRIMARY KEY,
  staff_no text NOT NULL REFERENCES staff_members (staff_no),
  door_id  text NOT NULL REFERENCES staff_doors (door_id),
  days     text NOT NULL,               -- '1,2,3,4,5'
  from_min integer NOT NULL CHECK (from_min BETWEEN 0 AND 1439),
  to_min   integer NOT NULL CHECK (to_min BETWEEN 0 AND 1440)
);
CREATE INDEX staff_permissions_staff ON staff_permissions (staff_no, door_id);

-- 扉の端末: each with its own token (stored as its SHA-256).
CREATE TABLE staff_terminals (
  terminal_id text PRIMARY KEY,
  door_id     text NOT NULL REFERENCES staff_doors (door_id),
  token_hash  text NOT NULL UNIQUE
);

-- 入退室記録: append-only, hash-chained (chain.ts); refusals are kept too.
CREATE TABLE staff_entries (
  seq       bigint PRIMARY KEY,
  at        text NOT NULL,
  door_id   text NOT NULL,
  user_id   text NOT NULL,
  staff_no  text NOT NULL,
  opened    boolean NOT NULL,
  code      text NOT NULL,
  prev_hash text NOT NULL,
  hash      text NOT NULL
);
CREATE TABLE staff_log_head (
  id   integer PRIMARY KEY CHECK (id = 1),
  seq  bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO staff_log_head (id, seq, hash) VALUES (1, 0, repeat('0', 64));

-- The service itself never updates or deletes a log row; the database says so too.
-- (Someone with the database's owner rights can still disable this: the chain is
-- what tells.)
CREATE FUNCTION staff_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'staff_entries is append-only';
END $$;
CREATE TRIGGER staff_entries_append_only BEFORE UPDATE OR DELETE ON staff_entries
  FOR EACH ROW EXECUTE FUNCTION staff_entries_append_only();

-- The loading system's status feed, as far as it names the staff card's card APs.
CREATE TABLE staff_status_events (
  seq     bigint NOT NULL,
  user_id text NOT NULL,
  status  text NOT NULL,
  PRIMARY KEY (seq, user_id)
);
CREATE INDEX staff_status_user ON staff_status_events (user_id, seq);
CREATE TABLE staff_feed_cursor (
  id   integer PRIMARY KEY CHECK (id = 1),
  next bigint NOT NULL
);
INSERT INTO staff_feed_cursor (id, next) VALUES (1, 0);
