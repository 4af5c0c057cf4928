-- The status feed at national scale: a provider's "changes since" and daily list
-- are read through its card_status notices by the event they announce
-- (store/feed.ts, the same expression), and the platform's daily list by time.
CREATE INDEX provider_notices_event ON provider_notices (provider_id, ((detail->>'eventSeq')::bigint))
  WHERE kind = 'card_status';
CREATE INDEX card_status_events_at ON card_status_events (at);
