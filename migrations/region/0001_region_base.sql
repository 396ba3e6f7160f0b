-- A regional database: its customers' account data, their records and content metadata.

CREATE TABLE customers (
  id              uuid PRIMARY KEY,
  name            text NOT NULL,
  billing_region  text NOT NULL CHECK (billing_region IN ('NOAM','LATAM','EURO','MENA','AFRICA','INDIA','APAC','ANZAC')),
  status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active','suspended','closed')),
  settings        jsonb NOT NULL DEFAULT '{}',
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id            text PRIMARY KEY,
  customer_id   uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  name          text NOT NULL,
  secret_hash   text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  revoked_at    timestamptz
);
CREATE INDEX api_keys_customer ON api_keys (customer_id);

CREATE TABLE numbers (
  e164         text PRIMARY KEY CHECK (e164 ~ '^\+[1-9][0-9]{5,14}$'),
  customer_id  uuid NOT NULL REFERENCES customers (id),
  country      text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
  status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active','pending_kyc','suspended')),
  voice        jsonb NOT NULL DEFAULT '{}',
  messaging    jsonb NOT NULL DEFAULT '{}',
  recording    jsonb NOT NULL DEFAULT '{}',
  retention    jsonb NOT NULL DEFAULT '{}',
  version      integer NOT NULL DEFAULT 1,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX numbers_customer ON numbers (customer_id);

-- Call detail records, one per call, range-partitioned by month on started_at. The id is unique per
-- record, which makes every write idempotent (ON CONFLICT DO NOTHING). The DEFAULT partition is a
-- safety net for a month whose partition was not created ahead; the sweeper keeps it empty.
CREATE TABLE cdrs (
  id            uuid NOT NULL,
  customer_id   uuid NOT NULL,
  started_at    timestamptz NOT NULL,
  direction     text NOT NULL CHECK (direction IN ('inbound','outbound')),
  calling       text,
  called        text,
  answered_at   timestamptz,
  ended_at      timestamptz,
  duration_ms   integer,
  pdd_ms        integer,
  disposition   text NOT NULL,
  final_status  integer,
  hangup_by     text,
  sbc           text,
  sip_call_id   text,
  route         jsonb,
  attempts      jsonb NOT NULL DEFAULT '[]',
  recording     jsonb,
  written_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, started_at)
) PARTITION BY RANGE (started_at);
CREATE TABLE cdrs_default PARTITION OF cdrs DEFAULT;
CREATE INDEX cdrs_customer_time ON cdrs (customer_id, started_at);

-- Message detail records, one per message; status moves forward, each update carries a higher
-- status_version so replays and out-of-order writes never move it back.
CREATE TABLE mdrs (
  id              uuid NOT NULL,
  customer_id     uuid NOT NULL,
  created_at      timestamptz NOT NULL,
  direction       text NOT NULL CHECK (direction IN ('inbound','outbound')),
  sender          text NOT NULL,
  recipient       text NOT NULL,
  parts           integer NOT NULL DEFAULT 1,
  encoding        text,
  status          text NOT NULL,
  error_code      text,
  carrier         text,
  media           jsonb,
  status_version  integer NOT NULL DEFAULT 0,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE TABLE mdrs_default PARTITION OF mdrs DEFAULT;
CREATE INDEX mdrs_customer_time ON mdrs (customer_id, created_at);
CREATE INDEX mdrs_id ON mdrs (id);

-- SIP traces for diagnostics (SIP messages of both legs, SDP bodies only), with their own expiry.
CREATE TABLE sip_traces (
  call_id      uuid NOT NULL,
  customer_id  uuid NOT NULL,
  created_at   timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  messages     jsonb NOT NULL,
  PRIMARY KEY (call_id)
);
CREATE INDEX sip_traces_expiry ON sip_traces (expires_at);

-- Content metadata; the content itself is envelope-encrypted in object storage.
CREATE TABLE recordings (
  id              uuid PRIMARY KEY,
  customer_id     uuid NOT NULL,
  call_id         uuid NOT NULL,
  number          text NOT NULL,
  started_at      timestamptz NOT NULL,
  duration_ms     integer,
  channels        integer NOT NULL DEFAULT 2,
  object_key      text,
  size_bytes      bigint,
  mime_type       text NOT NULL DEFAULT 'audio/wav',
  expires_at      timestamptz NOT NULL,
  deleted_at      timestamptz,
  deleted_reason  text,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recordings_customer_time ON recordings (customer_id, started_at);
CREATE INDEX recordings_expiry ON recordings (expires_at) WHERE deleted_at IS NULL;

CREATE TABLE message_content (
  message_id      uuid PRIMARY KEY,
  customer_id     uuid NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  body_enc        bytea,
  media           jsonb NOT NULL DEFAULT '[]',
  expires_at      timestamptz NOT NULL,
  deleted_at      timestamptz,
  deleted_reason  text
);
CREATE INDEX message_content_customer ON message_content (customer_id);
CREATE INDEX message_content_expiry ON message_content (expires_at) WHERE deleted_at IS NULL;

-- Every mutating API call, written in the same transaction as the change.
CREATE TABLE audit_log (
  id           bigserial PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  customer_id  uuid,
  actor        text NOT NULL,
  action       text NOT NULL,
  resource     text NOT NULL,
  resource_id  text,
  details      jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_customer_time ON audit_log (customer_id, at);
