/** One field-level validation failure, as carried in a problem's `errors` member. */
export interface FieldError {
  /** Where the bad value sits: `body.email`, `query.limit`, `param.userId`. */
  field: string;
  message: string;
}

/** RFC 9457 problem details, the body of every error response. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  411: 'Length Required',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * An error that knows the HTTP answer it stands for. Services throw these; the app factory's
 * error handler turns them into problem+json responses. `code` is a stable machine-readable
 * slug clients can branch on (it also forms the `type` URI).
 */
export class ProblemError extends Error {
  override name = 'ProblemError';

  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly extra: { errors?: FieldError[]; retryAfterSeconds?: number; [key: string]: unknown } = {},
  ) {
    super(detail);
  }

  toProblem(): ProblemDetails {
    const { retryAfterSeconds, ...extensions } = this.extra;
    return {
      type: `https://secureconnect.dev/problems/${this.code}`,
      title: TITLES[this.status] ?? 'Error',
      status: this.status,
      detail: this.message,
      ...extensions,
    };
  }

  headers(): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': PROBLEM_CONTENT_TYPE };
    if (this.extra.retryAfterSeconds !== undefined) {
      headers['retry-after'] = String(Math.max(1, Math.ceil(this.extra.retryAfterSeconds)));
    }
    if (this.status === 401) headers['www-authenticate'] = 'Bearer';
    if (Array.isArray(this.extra.allow)) headers.allow = this.extra.allow.join(', ');
    return headers;
  }
}

export const badRequest = (detail: string, errors?: FieldError[]) =>
  new ProblemError(400, errors ? 'validation' : 'bad-request', detail, errors ? { errors } : {});
export const unauthorized = (detail = 'A valid access token is required.') =>
  new ProblemError(401, 'unauthorized', detail);
export const forbidden = (detail: string) => new ProblemError(403, 'forbidden', detail);
export const notFound = (detail = 'Not found.') => new ProblemError(404, 'not-found', detail);
export const conflict = (code: string, detail: string) => new ProblemError(409, code, detail);
export const tooManyRequests = (detail: string, retryAfterSeconds: number) =>
  new ProblemError(429, 'rate-limited', detail, { retryAfterSeconds });
export const serviceUnavailable = (detail: string, retryAfterSeconds = 1) =>
  new ProblemError(503, 'unavailable', detail, { retryAfterSeconds });
