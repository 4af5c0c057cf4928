-- 図書館: the library's tables (owner "library").

-- 利用者: who the library lends to, with what the library keeps of them.
CREATE TABLE library_holders (
  holder_no     bigserial PRIMARY KEY,           -- 利用者番号
  name          text NOT NULL,
  contact       text NOT NULL,
  -- name and contact folded (holder.ts sameHolderKey): the same person on a new card
  same_key      text NOT NULL,
  registered_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX library_holders_same_key ON library_holders (same_key);

-- The cards a holder was registered by: the type C card AP's user ID. A new card
-- (or the card AP loaded again) brings a new user ID; the old one is kept, retired.
CREATE TABLE library_cards (
  user_id    text PRIMARY KEY CHECK (user_id ~ '^[0-9A-F]{26}$'),
  holder_no  bigint NOT NULL REFERENCES library_holders (holder_no),
  linked_at  timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz
);
-- One current card per holder.
CREATE UNIQUE INDEX library_cards_current ON library_cards (holder_no) WHERE retired_at IS NULL;

-- 資料: the books, by the barcode on them.
CREATE TABLE library_books (
  book_id  text PRIMARY KEY,
  title    text NOT NULL,
  added_at timestamptz NOT NULL DEFAULT now()
);

-- 貸出: every loan; days are Japan-time day numbers (rules.ts).
CREATE TABLE library_loans (
  id          bigserial PRIMARY KEY,
  book_id     text NOT NULL REFERENCES library_books (book_id),
  holder_no   bigint NOT NULL REFERENCES library_holders (holder_no),
  lent_day    integer NOT NULL,
  due_day     integer NOT NULL CHECK (due_day >= lent_day),
  lent_at     timestamptz NOT NULL,
  returned_at timestamptz
);
-- A book is out to one holder at a time.
CREATE UNIQUE INDEX library_loans_out ON library_loans (book_id) WHERE returned_at IS NULL;
CREATE INDEX library_loans_holder ON library_loans (holder_no) WHERE returned_at IS NULL;

-- The loading system's status feed, as far as it names the library's card AP.
CREATE TABLE library_status_events (
  seq     bigint NOT NULL,         -- the loader's feed seq
  user_id text NOT NULL,
  status  text NOT NULL,
  PRIMARY KEY (seq, user_id)
);
CREATE INDEX library_status_user ON library_status_events (user_id, seq);
CREATE TABLE library_feed_cursor (
  id   integer PRIMARY KEY CHECK (id = 1),
  next bigint NOT NULL
);
INSERT INTO library_feed_cursor (id, next) VALUES (1, 0);
