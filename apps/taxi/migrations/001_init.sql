-- マイタク: the city's tables (owner "taxi").

-- 利用登録: the holders, known by the user ID of the taxi card AP and nothing else.
CREATE TABLE taxi_holders (
  user_id       text PRIMARY KEY CHECK (user_id ~ '^[0-9A-F]{26}$'),
  registered_at timestamptz NOT NULL DEFAULT now(),
  ended_at      timestamptz
);

-- The in-car terminals and the company each belongs to (who the city pays).
CREATE TABLE taxi_terminals (
  terminal_id   text PRIMARY KEY,
  company       text NOT NULL,
  public_key    text NOT NULL,
  registered_at timestamptz NOT NULL DEFAULT now(),
  -- server clock − terminal clock at its last sync, ms
  last_skew_ms  bigint,
  last_sync_at  timestamptz
);

-- Every record a terminal sent, once per (terminal, seq), as signed. Append-only.
CREATE TABLE taxi_records (
  terminal_id   text NOT NULL REFERENCES taxi_terminals (terminal_id),
  seq           bigint NOT NULL CHECK (seq >= 1),
  kind          text NOT NULL CHECK (kind IN ('ride', 'void')),
  -- ride: the terminal's clock, and corrected by the skew measured at its sync
  at_terminal   timestamptz NOT NULL,
  at            timestamptz NOT NULL,
  skew_ms       bigint NOT NULL,
  user_id       text,
  company       text,
  fare_yen      integer,
  subsidy_yen   integer,
  board_in_city boolean,
  alight_in_city boolean,
  voids         bigint,
  body          text NOT NULL,
  sig           text NOT NULL,
  received_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (terminal_id, seq)
);
CREATE INDEX taxi_records_at ON taxi_records (at) WHERE kind = 'ride';
-- Settlement asks of every ride whether a void names it.
CREATE INDEX taxi_records_voids ON taxi_records (terminal_id, voids) WHERE kind = 'void';

-- A second, different record under a (terminal, seq) already held: kept, never
-- applied, shown to the staff (a terminal restored from an old copy, or tampering).
CREATE TABLE taxi_conflicts (
  id          bigserial PRIMARY KEY,
  terminal_id text NOT NULL,
  seq         bigint NOT NULL,
  body        text NOT NULL,
  sig         text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);

-- The loading system's status feed, as far as it concerns the taxi card AP.
CREATE TABLE taxi_status_events (
  seq     bigint NOT NULL,         -- the loader's feed seq
  user_id text NOT NULL,
  aid     text NOT NULL,
  status  text NOT NULL,
  at      text NOT NULL,
  PRIMARY KEY (seq, user_id)
);
CREATE TABLE taxi_feed_cursor (
  id   integer PRIMARY KEY CHECK (id = 1),
  next bigint NOT NULL
);
INSERT INTO taxi_feed_cursor (id, next) VALUES (1, 0);
