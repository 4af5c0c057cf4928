-- Tables for the next steps of the loading system (issue 5): bulk loading, moving
-- (引越継続利用), notices to providers and the card status feed. The code that
-- fills them comes with the card half of the saga; the shapes are fixed now.

-- Bulk loading before hand-over (seeds/004: taxi subsidy cards prepared in advance).
CREATE TABLE load_batches (
  id          text PRIMARY KEY,
  provider_id text NOT NULL REFERENCES providers (id),
  terminal_id text NOT NULL REFERENCES terminals (id),
  card_ap_ids jsonb NOT NULL,
  state       text NOT NULL CHECK (state IN ('open', 'running', 'done', 'cancelled')),
  created_at  timestamptz NOT NULL,
  created_by  text NOT NULL REFERENCES operators (id)
);
ALTER TABLE card_ap_instances ADD COLUMN batch_id text REFERENCES load_batches (id);

-- 引越継続利用: one row per continuation procedure at the new municipality. Its
-- 地域住民向け領域 instances are deleted through the saga with
-- delete_reason = 'move_in' and move_in_id set; 拡張利用領域 ones stay.
CREATE TABLE move_ins (
  id                text PRIMARY KEY,
  card_id           text NOT NULL REFERENCES cards (card_id),
  from_municipality text CHECK (from_municipality ~ '^[0-9]{6}$'),
  to_municipality   text NOT NULL CHECK (to_municipality ~ '^[0-9]{6}$'),
  state             text NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
  at                timestamptz NOT NULL,
  recorded_by       text NOT NULL REFERENCES operators (id)
);
ALTER TABLE card_ap_instances ADD COLUMN move_in_id text REFERENCES move_ins (id);

-- What each provider must be told: its card APs removed on a move-in, status
-- changes of cards that hold its card APs. Read in seq order.
CREATE TABLE provider_notices (
  seq         bigserial PRIMARY KEY,
  provider_id text NOT NULL REFERENCES providers (id),
  kind        text NOT NULL CHECK (kind IN ('move_in_removed', 'card_status')),
  card_id     text NOT NULL REFERENCES cards (card_id),
  instance_id text REFERENCES card_ap_instances (id),
  detail      jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL
);
CREATE INDEX provider_notices_provider ON provider_notices (provider_id, seq);

-- The status feed (カード一時停止等のステータスのオンライン提供): every change of
-- cards.status. Writers queue on the audit head, so seq order is commit order and
-- "changes since seq n" never skips a row.
CREATE TABLE card_status_events (
  seq     bigserial PRIMARY KEY,
  card_id text NOT NULL REFERENCES cards (card_id),
  status  text NOT NULL CHECK (status IN ('active', 'lost', 'suspended', 'revoked')),
  source  text NOT NULL CHECK (source IN ('call_center', 'jpki_revocation', 'operator', 'issuer')),
  at      timestamptz NOT NULL
);
CREATE INDEX card_status_events_card ON card_status_events (card_id, seq);
