import { HttpException } from '@nestjs/common';
import { ValidationError } from 'class-validator';
import { AppError, CommonErrors, FieldError } from './app-error';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors: FieldError[];
  requestId?: string;
  [extra: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const CODES_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
  503: 'UNAVAILABLE',
};

/** Flattens class-validator's nested errors into `{field: "a.b", message}` pairs. */
export function flattenValidationErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    for (const message of Object.values(e.constraints ?? {})) out.push({ field, message });
    // A loop, not push(...children): a huge list of nested errors would overflow the call stack's argument limit.
    if (e.children?.length) for (const child of flattenValidationErrors(e.children, field)) out.push(child);
  }
  return out;
}

export interface ProblemResult {
  body: ProblemBody;
  headers: Record<string, string>;
  /** true when the error is not one we raised on purpose: log it with its stack. */
  unexpected: boolean;
}

/** Maps any thrown value to a problem body. Unknown errors become 500 INTERNAL with no internals. */
export function toProblem(err: unknown): ProblemResult {
  let appError: AppError | null = null;
  let unexpected = false;
  if (err instanceof AppError) {
    appError = err;
  } else if (err instanceof HttpException) {
    const status = err.getStatus();
    const response = err.getResponse();
    const message =
      typeof response === 'object' && response && 'message' in response
        ? [response.message].flat().join('; ')
        : err.message;
    const code = status === 400 ? (/JSON/.test(String(message)) ? 'MALFORMED_JSON' : 'VALIDATION_FAILED') : CODES_BY_STATUS[status] ?? 'ERROR';
    appError = new AppError(code, status, String(message));
  } else if (isFastifyClientError(err)) {
    appError = fromFastifyError(err);
  } else {
    unexpected = true;
    appError = new AppError('INTERNAL', 500, 'An unexpected error occurred');
  }
  const body: ProblemBody = {
    type: `https://hearth.dev/problems/${appError.code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[appError.status] ?? 'Error',
    status: appError.status,
    detail: appError.detail,
    code: appError.code,
    errors: appError.errors,
    ...appError.extra,
  };
  return { body, headers: appError.headers, unexpected };
}

/**
 * Errors Fastify and its plugins raise before a handler runs (parsers, limits, the router,
 * multipart), as stable codes. A path parameter too long to be any id or slug is simply not found.
 */
function fromFastifyError(err: Error & { statusCode: number; code?: string }): AppError {
  switch (err.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return CommonErrors.notFound();
    case 'FST_ERR_BAD_URL':
      return new AppError('MALFORMED_URL', 400, 'The URL is not valid (bad percent-encoding)');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('MALFORMED_JSON', 400, 'The body is not valid JSON');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError(CODES_BY_STATUS[err.statusCode] ?? 'BAD_REQUEST', err.statusCode, err.message);
    default:
      if (err instanceof SyntaxError) return new AppError('MALFORMED_JSON', 400, 'The body is not valid JSON');
      if (err.code?.startsWith('FST_') && err.code.includes('MULTIPART')) return new AppError('MALFORMED_MULTIPART', 400, err.message);
      return new AppError(CODES_BY_STATUS[err.statusCode] ?? 'BAD_REQUEST', err.statusCode, err.message);
  }
}

function isFastifyClientError(err: unknown): err is Error & { statusCode: number; code?: string } {
  if (!(err instanceof Error)) return false;
  const status = (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

export { CommonErrors };
