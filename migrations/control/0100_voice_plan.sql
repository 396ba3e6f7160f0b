-- Voice routing plan. Carrier numbering conventions, final codes, CPS and concurrency limits,
-- timeouts, SDP policy and headers to pass are per-carrier policy in carriers.settings->'voice'
-- (validated by VoiceCarrierSettingsSchema in src/plan/carrier-settings.ts); route entries per prefix
-- are the existing routes table (kind 'voice', priority, cost). This migration adds what the
-- carrier-selection policy needs as columns, and the per-country rules.

-- tier: 1 primary, 2 secondary. licensed: an in-country licensee in every country of `countries`
-- (chosen first where the destination country requires a domestic licensee).
ALTER TABLE carriers ADD COLUMN tier smallint NOT NULL DEFAULT 1 CHECK (tier IN (1, 2));
ALTER TABLE carriers ADD COLUMN licensed boolean NOT NULL DEFAULT false;

-- Inbound recognition by source address; port and transport are matched too when set on the gateway.
ALTER TABLE carrier_gateways ADD COLUMN match_port boolean NOT NULL DEFAULT false;
ALTER TABLE carrier_gateways ADD COLUMN match_transport boolean NOT NULL DEFAULT false;

-- Per-country voice rules: whether calls to the country must go through an in-country licensed carrier
-- first, and whether its calls are pinned to SBCs of the country or of its region.
CREATE TABLE voice_countries (
  country             text PRIMARY KEY CHECK (country ~ '^[A-Z]{2}$'),
  requires_licensed   boolean NOT NULL DEFAULT false,
  pin                 text NOT NULL DEFAULT 'none' CHECK (pin IN ('none', 'country', 'region')),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
