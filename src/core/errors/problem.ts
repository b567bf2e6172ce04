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
    if (e.children?.length) out.push(...flattenValidationErrors(e.children, field));
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
    const status = err.statusCode;
    const code =
      err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError
        ? 'MALFORMED_JSON'
        : CODES_BY_STATUS[status] ?? 'BAD_REQUEST';
    appError = new AppError(code, status, err.message);
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

function isFastifyClientError(err: unknown): err is Error & { statusCode: number; code?: string } {
  if (!(err instanceof Error)) return false;
  const status = (err as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

export { CommonErrors };
