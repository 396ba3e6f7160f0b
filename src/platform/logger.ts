// One pino logger for the process; children carry ids (callId, messageId, customerId).
// Redaction is the second line of defence: code never passes bodies or secrets to a logger,
// and these paths are censored anyway in case one slips through.
import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

export const REDACTED_PATHS = [
  'body',
  'text',
  'password',
  'secret',
  'apiKey',
  'authorization',
  '*.body',
  '*.text',
  '*.password',
  '*.secret',
  '*.apiKey',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
  'headers["proxy-authorization"]',
];

export function createLogger(
  opts: { level: string; instance: string },
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level: opts.level,
      base: { instance: opts.instance },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
