-- Voice call control: CDR columns queried on their own (the attempts stay in the attempts jsonb).
ALTER TABLE cdrs ADD COLUMN carrier text;
ALTER TABLE cdrs ADD COLUMN sbc_region text;
ALTER TABLE cdrs ADD COLUMN end_reason text;
ALTER TABLE cdrs ADD COLUMN recording_status text;
CREATE INDEX cdrs_id ON cdrs (id);
