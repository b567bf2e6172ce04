export interface FieldError {
  field: string;
  message: string;
}

/**
 * The one error type services throw. The problem filter turns it into RFC 9457 problem+json:
 * `code` is the stable UPPER_SNAKE string clients switch on, `status` the HTTP status.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
    readonly errors: FieldError[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

/** Errors shared by every module. Modules add their own in `<m>.errors.ts`. */
export const CommonErrors = {
  validation: (errors: FieldError[], detail = 'The request is not valid') =>
    new AppError('VALIDATION_FAILED', 400, detail, {}, errors),
  unauthenticated: (detail = 'Authentication is required') => new AppError('UNAUTHENTICATED', 401, detail),
  forbidden: (detail = 'You are not allowed to do this') => new AppError('FORBIDDEN', 403, detail),
  notFound: (what = 'Resource') => new AppError('NOT_FOUND', 404, `${what} not found`),
  rateLimited: (retryAfterSeconds: number, detail = 'Too many requests, try again later') =>
    new AppError('RATE_LIMITED', 429, detail, { retryAfter: retryAfterSeconds }, [], {
      'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))),
    }),
};

/** Compile-time exhaustiveness for `switch` over error-code unions. */
export function assertUnreachable(x: never): never {
  throw new Error(`Unreachable: ${String(x)}`);
}
