-- Control plane: what is the provider's own, not a customer's. The routing plan (carriers, their SIP
-- gateways and SMPP binds, routes), operator keys, and the global indexes that say in which region a
-- customer or a number lives (ids and region only: no customer data).

CREATE TABLE operator_keys (
  id           text PRIMARY KEY,
  name         text NOT NULL,
  secret_hash  text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz
);

CREATE TABLE customer_directory (
  customer_id  uuid PRIMARY KEY,
  region       text NOT NULL CHECK (region IN ('NOAM','LATAM','EURO','MENA','AFRICA','INDIA','APAC','ANZAC')),
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- One owner per number across all regions.
CREATE TABLE number_index (
  e164         text PRIMARY KEY CHECK (e164 ~ '^\+[1-9][0-9]{5,14}$'),
  customer_id  uuid NOT NULL REFERENCES customer_directory (customer_id),
  region       text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX number_index_customer ON number_index (customer_id);

CREATE TABLE carriers (
  id          uuid PRIMARY KEY,
  name        text NOT NULL UNIQUE,
  category    text NOT NULL CHECK (category IN ('tier1_voice','regional_voice','sms_aggregator')),
  countries   text[] NOT NULL DEFAULT '{}',
  regions     text[] NOT NULL DEFAULT '{}',
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active','disabled')),
  -- Per-carrier policy (final codes, limits, codec list, headers to pass...), validated by the API.
  settings    jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE carrier_gateways (
  id          uuid PRIMARY KEY,
  carrier_id  uuid NOT NULL REFERENCES carriers (id) ON DELETE CASCADE,
  direction   text NOT NULL DEFAULT 'both' CHECK (direction IN ('inbound','outbound','both')),
  -- inbound recognition matches the source address against host (an address or a CIDR)
  host        text NOT NULL,
  port        integer NOT NULL DEFAULT 5060 CHECK (port BETWEEN 1 AND 65535),
  transport   text NOT NULL DEFAULT 'udp' CHECK (transport IN ('udp','tcp','tls')),
  priority    integer NOT NULL DEFAULT 100,
  settings    jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX carrier_gateways_carrier ON carrier_gateways (carrier_id);

CREATE TABLE smpp_binds (
  id            uuid PRIMARY KEY,
  carrier_id    uuid NOT NULL REFERENCES carriers (id) ON DELETE CASCADE,
  name          text NOT NULL UNIQUE,
  host          text NOT NULL,
  port          integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
  tls           boolean NOT NULL DEFAULT false,
  system_id     text NOT NULL,
  -- the password, envelope-encrypted under the control-plane key (never stored in clear)
  password_enc  bytea,
  bind_type     text NOT NULL DEFAULT 'transceiver' CHECK (bind_type IN ('transceiver','transmitter','receiver')),
  window_size   integer NOT NULL DEFAULT 10 CHECK (window_size > 0),
  max_mps       integer NOT NULL DEFAULT 100 CHECK (max_mps > 0),
  settings      jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Longest-prefix match over E.164 digits (no '+'); several carriers per prefix, ordered by priority then cost.
CREATE TABLE routes (
  id          uuid PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('voice','sms')),
  prefix      text NOT NULL CHECK (prefix ~ '^[0-9]{0,15}$'),
  carrier_id  uuid NOT NULL REFERENCES carriers (id) ON DELETE CASCADE,
  priority    integer NOT NULL DEFAULT 100,
  cost        numeric(12,6) NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (kind, prefix, carrier_id)
);

-- Operator actions on the control plane.
CREATE TABLE control_audit (
  id           bigserial PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  actor        text NOT NULL,
  action       text NOT NULL,
  resource     text NOT NULL,
  resource_id  text,
  details      jsonb NOT NULL DEFAULT '{}'
);

-- Small facts about the deployment itself (e.g. that the demo was seeded).
CREATE TABLE control_facts (
  key         text PRIMARY KEY,
  value       jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
