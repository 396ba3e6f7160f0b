// The one shape every database handle has, whether it is a pg Pool on a regional PostgreSQL or the
// embedded PGlite. Rows come back with the same JS types from both: int8 as number, bytea as Buffer,
// timestamptz as Date, json/jsonb parsed.
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Runs a script of several statements (no parameters): migrations. */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  /** 'control' or a region name: used in logs and as a metrics label. */
  readonly label: string;
  readonly engine: 'postgres' | 'pglite';
  /** Identifies the physical database: handles with the same id share tables (the embedded default). */
  readonly physicalId: string;
  /** Runs fn in one transaction on one connection; rolls back when fn throws. */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

/**
 * True when the error says the database could not be reached or the connection broke, as opposed
 * to a problem with the statement or its data. The records writer spools on the former and
 * isolates the offending rows on the latter.
 */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: string }).code;
  if (code && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|Connection closed/i.test(
    err.message,
  );
}
