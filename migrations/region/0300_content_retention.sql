-- Retention and the customer's content controls.
--
-- Content rows move through: live -> marked (deleted_at, deleted_reason set; object still referenced)
-- -> tombstone (object gone, object_key/body/media cleared; kept as the record of the deletion) or
-- purged (row deleted, for expired content). The sweeper finds expired rows in any state and
-- deletions it must finish, so both need indexes over all rows, not only live ones.
-- deleted_reason: 'expired' (sweeper), 'customer' / 'operator' (API delete by that kind of key),
-- 'erase' (customer content erase).
CREATE INDEX recordings_expires_any ON recordings (expires_at);
CREATE INDEX recordings_pending_delete ON recordings (deleted_at)
  WHERE deleted_at IS NOT NULL AND object_key IS NOT NULL;
CREATE INDEX recordings_customer_number_time ON recordings (customer_id, number, started_at);

CREATE INDEX message_content_expires_any ON message_content (expires_at);
CREATE INDEX message_content_pending_delete ON message_content (deleted_at)
  WHERE deleted_at IS NOT NULL AND (body_enc IS NOT NULL OR media <> '[]'::jsonb);

CREATE INDEX sip_traces_created ON sip_traces (created_at);
CREATE INDEX sip_traces_customer ON sip_traces (customer_id, created_at);
CREATE INDEX audit_log_at ON audit_log (at);

-- Record partitions exported to cold storage before they were dropped: rows of the countries whose
-- regulation keeps records longer than the online months, one sealed NDJSON.gz object per region.
CREATE TABLE cold_exports (
  table_name   text NOT NULL CHECK (table_name IN ('cdrs', 'mdrs')),
  month        date NOT NULL,
  region       text NOT NULL,
  object_key   text NOT NULL,
  row_count    integer NOT NULL,
  countries    text[] NOT NULL,
  keep_until   timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (table_name, month, region)
);
CREATE INDEX cold_exports_keep_until ON cold_exports (keep_until);
