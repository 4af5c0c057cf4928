-- JPKI revocations the loader has taken in (store/jpkiRevocations.ts): one row per
-- certificate serial, so each revocation moves the card's status once, even when
-- the issuer's records are read again after a restart, and a card found after its
-- loss (issuer: active) is not marked lost again by the same old revocation.
CREATE TABLE jpki_revocations (
  serial     text PRIMARY KEY CHECK (serial ~ '^[0-9a-f]{2,40}$'),
  kind       text NOT NULL CHECK (kind IN ('auth', 'sign')),
  reason     text NOT NULL CHECK (length(reason) BETWEEN 1 AND 40),
  revoked_at timestamptz NOT NULL,
  -- The card the issuer linked the certificate to; null when it names none.
  card_id    text REFERENCES cards (card_id),
  -- What it did: 'applied' (the status changed), 'no_status' (a reason that leaves
  -- the card as it is), 'unlinked' (no card), or the refusal's code (CARD_REVOKED …).
  outcome    text NOT NULL CHECK (length(outcome) BETWEEN 1 AND 40),
  seen_at    timestamptz NOT NULL
);
CREATE INDEX jpki_revocations_card ON jpki_revocations (card_id);
