// Call recording through FreeSWITCH media servers driven by drachtio-fsmrf (docs/recording.md).
import { Type, type Static } from '@sinclair/typebox';
import { Host, Millis, Port, SecretRef, Section } from '../types.js';

const MediaServerSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      pattern: '^[a-z0-9][a-z0-9-]*$',
      description: 'media server name (metrics label, logs)',
    }),
    eslHost: Host('FreeSWITCH event-socket address', '127.0.0.1'),
    eslPort: Port('FreeSWITCH event-socket port', 8021),
    eslSecret: SecretRef('event-socket password'),
    listenHost: Host(
      "where this daemon listens for FreeSWITCH's outbound event-socket connections",
      '127.0.0.1',
    ),
    listenPort: Port('outbound event-socket listen port (0 picks a free port)', 0),
    advertisedHost: Type.String({
      default: '',
      description: 'address FreeSWITCH connects back to (X-esl-outbound); empty means listenHost',
    }),
    advertisedPort: Port('port FreeSWITCH connects back to; 0 means the listen port', 0),
    maxSessions: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'sessions this daemon places on the server at most; 0 means its HEARTBEAT Max-Sessions',
    }),
    recordingsDir: Type.String({
      minLength: 1,
      default: '/var/lib/freeswitch/recordings',
      description: "FreeSWITCH's memory-backed (tmpfs) recordings directory, as FreeSWITCH sees it",
    }),
    filesUrl: Type.String({
      pattern: '^https?://.+/$',
      description: 'base URL of the recordings file service beside FreeSWITCH (GET and DELETE <name>)',
    }),
    filesToken: SecretRef('bearer token of the recordings file service'),
  },
  { additionalProperties: false },
);
export type MediaServerConfig = Static<typeof MediaServerSchema>;

export const MediaSection = Section('Call recording through FreeSWITCH media servers (drachtio-fsmrf)', {
  servers: Type.Array(MediaServerSchema, {
    default: [],
    description: 'the media-server pool; none: calls to numbers with recording on go unrecorded',
  }),
  drachtio: Type.Object(
    {
      host: Host('drachtio-server (or the embedded edge) app-protocol address', '127.0.0.1'),
      port: Port('its app-protocol port', 9022),
      secret: Type.Optional(SecretRef('its shared secret')),
    },
    {
      additionalProperties: false,
      default: {},
      description: 'the drachtio server fsmrf sends its INVITEs to FreeSWITCH through',
    },
  ),
  connectTimeoutMs: Millis('time allowed to connect and authenticate to a media server', 5000, 100),
  reconnectMs: Millis('wait before reconnecting to a media server that went away', 2000, 50),
  heartbeatStaleMs: Millis('a server without a HEARTBEAT for this long is not chosen', 65_000, 100),
  setupTimeoutMs: Millis(
    'time allowed to anchor a call (both endpoints) before it goes unrecorded',
    4000,
    100,
  ),
  fetchAttempts: Type.Integer({
    minimum: 1,
    maximum: 10,
    default: 3,
    description: 'attempts to take a finished recording off the media server and store it',
  }),
  spoolDir: Type.String({
    default: '',
    description:
      'where recordings whose store failed are queued (metadata only; the audio stays on the media server); empty means <records spool>/recordings',
  }),
  replayIntervalMs: Millis('how often queued recordings are retried', 5000, 50),
});
export type MediaConfig = Static<typeof MediaSection>;
