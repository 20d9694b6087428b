import type { RequestMeta } from '../accounts/account-service';
import type { RequestContext } from './define-function';

/** The request facts services record in limits and the audit trail. */
export function requestMeta(context: Pick<RequestContext, 'ip' | 'userAgent' | 'requestId'>): RequestMeta {
  return { ip: context.ip, userAgent: context.userAgent, requestId: context.requestId };
}
