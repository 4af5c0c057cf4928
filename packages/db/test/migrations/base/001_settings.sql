-- A package's first table (the tests' stand-in for an owner such as the loader).
CREATE TABLE settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL
);
