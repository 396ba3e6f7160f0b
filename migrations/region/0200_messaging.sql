-- Messaging: what the MDR says beyond the base columns, the durable outbound queue and the delivery
-- outbox. A message is accepted (API 202, deliver_sm_resp) only once its MDR and its queue/outbox
-- rows are committed together in the customer's region.
ALTER TABLE mdrs ADD COLUMN submitted_at timestamptz;
ALTER TABLE mdrs ADD COLUMN done_at timestamptz;
-- A submit_sm was written on a bind that died before answering and the message was submitted again:
-- the aggregator may have delivered it twice.
ALTER TABLE mdrs ADD COLUMN possible_duplicate boolean NOT NULL DEFAULT false;
-- Inbound: some parts of a concatenated message never arrived before the reassembly timeout.
ALTER TABLE mdrs ADD COLUMN incomplete boolean NOT NULL DEFAULT false;

-- Outbound messages until submitted. body_enc is the text sealed under the region key (context
-- "message-outbound:<id>"), cleared once submitted or failed.
CREATE TABLE sms_outbound (
  message_id       uuid PRIMARY KEY,
  customer_id      uuid NOT NULL,
  created_at       timestamptz NOT NULL,
  idempotency_key  text,
  sender           text NOT NULL,
  recipient        text NOT NULL,
  body_enc         bytea,
  tlvs             jsonb NOT NULL DEFAULT '{}',
  callback_url     text,
  state            text NOT NULL CHECK (state IN ('queued', 'submitted', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL,
  locked_by        text,
  locked_until     timestamptz,
  smsc_ids         jsonb NOT NULL DEFAULT '[]',
  last_error       text
);
CREATE UNIQUE INDEX sms_outbound_idempotency ON sms_outbound (customer_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX sms_outbound_due ON sms_outbound (next_attempt_at) WHERE state = 'queued';
CREATE INDEX sms_outbound_customer ON sms_outbound (customer_id, created_at);

-- Deliveries to customers (webhook, mail, status callback), at least once. payload_enc is the JSON
-- payload sealed under the region key (context "message-outbox:<id>"), cleared once delivered or dead.
CREATE TABLE message_outbox (
  id               uuid PRIMARY KEY,
  message_id       uuid NOT NULL,
  customer_id      uuid NOT NULL,
  channel          text NOT NULL CHECK (channel IN ('webhook', 'mail')),
  event            text NOT NULL,
  target           text NOT NULL,
  payload_enc      bytea,
  state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts         integer NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL DEFAULT now(),
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  locked_by        text,
  locked_until     timestamptz,
  last_error       text,
  delivered_at     timestamptz,
  UNIQUE (message_id, channel, event)
);
CREATE INDEX message_outbox_due ON message_outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX message_outbox_customer ON message_outbox (customer_id, created_at);
