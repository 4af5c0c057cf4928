CREATE TABLE counters (
  name text PRIMARY KEY,
  n bigint NOT NULL DEFAULT 0
);
