/** One field-level validation failure of a problem's `errors` member. */
export interface FieldError {
  /** Where the bad value sits: `body.email`, `query.limit`, `param.userId`. */
  field: string;
  message: string;
}

/** An RFC 9457 problem, as every SecureConnect error response carries it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/**
 * A non-2xx answer from the API. Branch on `status` or on `type` (a stable URI per kind of
 * problem); `errors` names the fields a 400 rejected; `retryAfter` is the server's `Retry-After`
 * in seconds on 429 and 503.
 *
 * @example
 * try {
 *   await client.auth.login({ email, password });
 * } catch (error) {
 *   if (error instanceof SecureConnectError && error.status === 401) showWrongPassword();
 *   else throw error;
 * }
 */
export class SecureConnectError extends Error {
  override name = 'SecureConnectError';
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[] | undefined;
  /** Seconds to wait before trying again, when the server said so. */
  readonly retryAfter: number | undefined;
  /** The whole problem document, extensions included. */
  readonly problem: Problem;

  constructor(problem: Problem, retryAfter?: number) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.problem = problem;
    this.status = problem.status;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.errors = problem.errors;
    this.retryAfter = retryAfter;
  }

  /** The error for a response, whether or not its body is a problem document. */
  static async fromResponse(response: Response): Promise<SecureConnectError> {
    const text = await response.text().catch(() => '');
    let problem: Problem | undefined;
    try {
      const parsed = JSON.parse(text) as Partial<Problem>;
      if (parsed && typeof parsed === 'object' && typeof parsed.status === 'number')
        problem = parsed as Problem;
    } catch {
      // not JSON: a proxy's error page, say; described below from the status line
    }
    problem ??= {
      type: 'about:blank',
      title: response.statusText || `HTTP ${response.status}`,
      status: response.status,
      detail: text.slice(0, 200) || response.statusText || `HTTP ${response.status}`,
    };
    const retryAfter = Number(response.headers.get('retry-after'));
    return new SecureConnectError(
      problem,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    );
  }
}
