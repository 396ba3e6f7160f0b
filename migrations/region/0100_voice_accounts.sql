-- Customer SIP trunks and verified caller IDs, in the customer's billing region.

-- A trunk authenticates by source address (allowed_ips: addresses or CIDRs) and/or SIP digest.
-- Digest (RFC 2617/7616) needs HA1 = H(username:realm:password) at verification time, so a one-way
-- hash of the password (scrypt) cannot serve it; HA1 is itself a password equivalent for the realm.
-- It is therefore stored sealed with the Envelope (AES-256-GCM, region key, per-row data key): one
-- blob holding the MD5 and SHA-256 HA1s. The password itself is never stored.
CREATE TABLE sip_trunks (
  id                      uuid PRIMARY KEY,
  customer_id             uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  name                    text NOT NULL,
  status                  text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  allowed_ips             text[] NOT NULL DEFAULT '{}',
  digest_username         text UNIQUE CHECK (digest_username ~ '^[A-Za-z0-9._-]{4,64}$'),
  digest_realm            text,
  digest_ha1_enc          bytea,
  max_concurrent          integer CHECK (max_concurrent > 0),
  max_cps                 numeric(8,2) CHECK (max_cps > 0),
  max_expensive_per_hour  integer CHECK (max_expensive_per_hour >= 0),
  caller_id_policy        text NOT NULL DEFAULT 'withhold' CHECK (caller_id_policy IN ('withhold', 'reject')),
  -- SDP and header policy toward the customer (codecs, srtp, ptime, dropMedia, passHeaders)
  settings                jsonb NOT NULL DEFAULT '{}',
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  CHECK ((digest_username IS NULL) = (digest_ha1_enc IS NULL))
);
CREATE INDEX sip_trunks_customer ON sip_trunks (customer_id);

-- Numbers a customer may present as caller ID besides its own DIDs (verified out of band).
CREATE TABLE verified_caller_ids (
  customer_id  uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  e164         text NOT NULL CHECK (e164 ~ '^\+[1-9][0-9]{5,14}$'),
  verified_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, e164)
);
