// The error catalogue. Expected outcomes are AppErrors with a stable code, an HTTP status and a
// message safe to show a client. Anything else is a bug: logged with its stack, answered as 500
// with a reference id, never with its message.
export interface ErrorDetails {
  [key: string]: unknown;
}

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
  }
}

export const Errors = {
  validation: (message: string, details?: ErrorDetails) =>
    new AppError('VALIDATION_FAILED', 400, message, details),
  badRequest: (code: string, message: string) => new AppError(code, 400, message),
  unauthenticated: (message = 'missing or invalid API key') => new AppError('UNAUTHENTICATED', 401, message),
  forbidden: (message = 'this key may not do that') => new AppError('FORBIDDEN', 403, message),
  notFound: (what: string) => new AppError('NOT_FOUND', 404, `${what} not found`),
  conflict: (message: string) => new AppError('CONFLICT', 409, message),
  rateLimited: (retryAfterS: number) =>
    new AppError('RATE_LIMITED', 429, `rate limit exceeded, retry in ${retryAfterS} s`, { retryAfterS }),
  unavailable: (message: string) => new AppError('UNAVAILABLE', 503, message),
} as const;

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
