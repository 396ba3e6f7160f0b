// The SBCs the daemon drives over drachtio's app protocol (drachtio-server in production; the
// embedded edge is added by the voice feature when edge.enabled). Owned by the voice feature.
import { Type, type Static } from '@sinclair/typebox';
import { Host, Port, Millis, RegionSchema, SecretRef } from '../types.js';

export const SbcSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      pattern: '^[a-z0-9][a-z0-9-]*$',
      description: 'SBC name (metrics label)',
    }),
    host: Host('drachtio-server app-protocol address (mode connect)', '127.0.0.1'),
    port: Port('drachtio-server app-protocol port (mode connect)', 9022),
    secret: SecretRef('drachtio shared secret'),
    tls: Type.Boolean({ default: false, description: 'use TLS to the app port (kept on every reconnect)' }),
    tlsCaFile: Type.String({
      default: '',
      description: 'PEM file of the CA that signed the SBC certificate; empty means the system CAs',
    }),
    tlsServerName: Type.String({ default: '', description: 'TLS server name to verify; empty means host' }),
    mode: Type.Union([Type.Literal('connect'), Type.Literal('listen')], {
      default: 'connect',
      description:
        'connect: the daemon connects to drachtio; listen: drachtio connects to the daemon (outbound mode)',
    }),
    listenHost: Host('address the daemon listens on for this SBC (mode listen)', '127.0.0.1'),
    listenPort: Port('port the daemon listens on for this SBC (mode listen; 0 picks a free port)', 0),
    region: RegionSchema,
    colocation: Type.String({ minLength: 1, description: 'colocation name' }),
    country: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO country of the colocation' }),
    pingIntervalMs: Millis('app-protocol keep-alive ping interval (drachtio-srf pings)', 15_000, 5_000),
    reconnectMinMs: Millis('first reconnect delay after the connection drops', 250, 10),
    reconnectMaxMs: Millis('longest reconnect delay (the delay doubles up to it)', 15_000, 100),
  },
  { additionalProperties: false },
);
export type SbcConfig = Static<typeof SbcSchema>;

export const SbcsSection = Type.Array(SbcSchema, {
  default: [],
  description: 'drachtio-server SBCs (besides the embedded edge)',
});
