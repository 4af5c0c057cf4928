-- A second package's table that refers to the first package's: it is listed after it.
CREATE TABLE notes (
  id serial PRIMARY KEY,
  setting text NOT NULL REFERENCES settings (key),
  body text NOT NULL
);
