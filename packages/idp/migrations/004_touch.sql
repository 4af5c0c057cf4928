-- かざし利用 (touch-only use, seed 003): a holder who registered with a PIN-verified
-- proof is identified at a service by a touch of the card alone, only at the sites
-- the service declared staffed, face-to-face and of 保証レベル1. A PPID is still
-- never stored: a registration is the holder's random id at the client's sector.

-- The sites a client declared for かざし利用. The CHECKs are the seed's conditions:
-- a site that is not all three cannot be declared at all.
CREATE TABLE idp_touch_sites (
  client_id        text NOT NULL REFERENCES idp_clients ON DELETE CASCADE,
  site_id          text NOT NULL CHECK (site_id ~ '^[A-Za-z0-9._-]{1,64}$'),
  name             text NOT NULL,
  staffed          boolean NOT NULL CHECK (staffed),          -- 有人
  face_to_face     boolean NOT NULL CHECK (face_to_face),     -- 対面
  assurance_level  smallint NOT NULL CHECK (assurance_level = 1), -- 保証レベル1
  declared_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (client_id, site_id)
);

-- The holders registered for かざし利用 at a service (sector), after a PIN-verified proof.
CREATE TABLE idp_touch_registrations (
  sector         text NOT NULL,
  holder_id      bytea NOT NULL REFERENCES idp_holders ON DELETE CASCADE,
  registered_at  timestamptz NOT NULL,
  PRIMARY KEY (sector, holder_id)
);
