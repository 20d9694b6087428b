/** How an operation is reached over HTTP. */
export interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The public path, with `:param` placeholders. */
  path: string;
  /** Sent with the access token (and refreshed on 401); public operations are sent without. */
  authenticated: boolean;
}

/**
 * Every function the SDK calls, by function name: the only place the SDK says where an operation
 * lives. A test checks it against the function manifests, so the two cannot drift apart.
 */
export const OPERATIONS = {
  'auth-register': { method: 'POST', path: '/v1/auth/register', authenticated: false },
  'auth-login': { method: 'POST', path: '/v1/auth/login', authenticated: false },
  'auth-refresh': { method: 'POST', path: '/v1/auth/refresh', authenticated: false },
  'auth-logout': { method: 'POST', path: '/v1/auth/logout', authenticated: true },
  'auth-verify-email': { method: 'POST', path: '/v1/auth/verify-email', authenticated: false },
  'auth-resend-verification': { method: 'POST', path: '/v1/auth/verify-email/resend', authenticated: true },
  'auth-password-reset-request': { method: 'POST', path: '/v1/auth/password-reset', authenticated: false },
  'auth-password-reset-confirm': {
    method: 'POST',
    path: '/v1/auth/password-reset/confirm',
    authenticated: false,
  },
  'users-me': { method: 'GET', path: '/v1/users/me', authenticated: true },
  'users-update-me': { method: 'PATCH', path: '/v1/users/me', authenticated: true },
  'users-change-password': { method: 'POST', path: '/v1/users/me/password', authenticated: true },
  'users-delete-me': { method: 'DELETE', path: '/v1/users/me', authenticated: true },
  'users-lookup': { method: 'GET', path: '/v1/users/lookup', authenticated: true },
  'users-block': { method: 'PUT', path: '/v1/users/:userId/block', authenticated: true },
  'users-unblock': { method: 'DELETE', path: '/v1/users/:userId/block', authenticated: true },
  'users-blocked-list': { method: 'GET', path: '/v1/users/me/blocked', authenticated: true },
  'keys-upload': { method: 'PUT', path: '/v1/keys', authenticated: true },
  'keys-bundle': { method: 'GET', path: '/v1/keys/:userId', authenticated: true },
  'keys-count': { method: 'GET', path: '/v1/keys/me/count', authenticated: true },
  'conversations-create': { method: 'POST', path: '/v1/conversations', authenticated: true },
  'conversations-list': { method: 'GET', path: '/v1/conversations', authenticated: true },
  'conversations-get': { method: 'GET', path: '/v1/conversations/:conversationId', authenticated: true },
  'conversations-update': { method: 'PATCH', path: '/v1/conversations/:conversationId', authenticated: true },
  'conversations-mark-read': {
    method: 'POST',
    path: '/v1/conversations/:conversationId/read',
    authenticated: true,
  },
  'conversations-events': {
    method: 'GET',
    path: '/v1/conversations/:conversationId/events',
    authenticated: true,
  },
  'members-add': { method: 'POST', path: '/v1/conversations/:conversationId/members', authenticated: true },
  'members-remove': {
    method: 'DELETE',
    path: '/v1/conversations/:conversationId/members/:userId',
    authenticated: true,
  },
  'members-update': {
    method: 'PATCH',
    path: '/v1/conversations/:conversationId/members/:userId',
    authenticated: true,
  },
  'messages-send': {
    method: 'POST',
    path: '/v1/conversations/:conversationId/messages',
    authenticated: true,
  },
  'messages-list': { method: 'GET', path: '/v1/conversations/:conversationId/messages', authenticated: true },
  'messages-search': {
    method: 'GET',
    path: '/v1/conversations/:conversationId/messages/search',
    authenticated: true,
  },
  'messages-edit': {
    method: 'PATCH',
    path: '/v1/conversations/:conversationId/messages/:messageId',
    authenticated: true,
  },
  'messages-delete': {
    method: 'DELETE',
    path: '/v1/conversations/:conversationId/messages/:messageId',
    authenticated: true,
  },
  'reactions-add': {
    method: 'PUT',
    path: '/v1/conversations/:conversationId/messages/:messageId/reactions/:emoji',
    authenticated: true,
  },
  'reactions-remove': {
    method: 'DELETE',
    path: '/v1/conversations/:conversationId/messages/:messageId/reactions/:emoji',
    authenticated: true,
  },
  'presence-get': { method: 'GET', path: '/v1/presence', authenticated: true },
  'polls-create': { method: 'POST', path: '/v1/conversations/:conversationId/polls', authenticated: true },
  'polls-get': { method: 'GET', path: '/v1/polls/:pollId', authenticated: true },
  'polls-vote': { method: 'PUT', path: '/v1/polls/:pollId/vote', authenticated: true },
  'polls-retract': { method: 'DELETE', path: '/v1/polls/:pollId/vote', authenticated: true },
  'polls-close': { method: 'POST', path: '/v1/polls/:pollId/close', authenticated: true },
  'files-presign-upload': { method: 'POST', path: '/v1/files', authenticated: true },
  'files-complete-upload': { method: 'POST', path: '/v1/files/:fileId/complete', authenticated: true },
  'files-list': { method: 'GET', path: '/v1/files', authenticated: true },
  'files-download': { method: 'GET', path: '/v1/files/:fileId/download', authenticated: true },
  'files-delete': { method: 'DELETE', path: '/v1/files/:fileId', authenticated: true },
  'calls-start': { method: 'POST', path: '/v1/conversations/:conversationId/calls', authenticated: true },
  'calls-join': { method: 'POST', path: '/v1/calls/:callId/join', authenticated: true },
  'calls-end': { method: 'POST', path: '/v1/calls/:callId/end', authenticated: true },
  'push-register-device': { method: 'POST', path: '/v1/push/devices', authenticated: true },
  'push-unregister-device': { method: 'DELETE', path: '/v1/push/devices/:deviceId', authenticated: true },
  'notification-preferences': {
    method: 'GET',
    path: '/v1/users/me/notification-preferences',
    authenticated: true,
  },
  'notification-preferences-update': {
    method: 'PATCH',
    path: '/v1/users/me/notification-preferences',
    authenticated: true,
  },
  'ai-settings': { method: 'GET', path: '/v1/users/me/ai-settings', authenticated: true },
  'ai-settings-update': { method: 'PATCH', path: '/v1/users/me/ai-settings', authenticated: true },
  'ai-summarize': {
    method: 'POST',
    path: '/v1/conversations/:conversationId/ai/summary',
    authenticated: true,
  },
  'ai-suggest-replies': {
    method: 'POST',
    path: '/v1/conversations/:conversationId/ai/replies',
    authenticated: true,
  },
  'admin-users': { method: 'GET', path: '/v1/admin/users', authenticated: true },
  'admin-users-ban': { method: 'POST', path: '/v1/admin/users/:userId/ban', authenticated: true },
  'admin-users-unban': { method: 'POST', path: '/v1/admin/users/:userId/unban', authenticated: true },
  'admin-audit-log': { method: 'GET', path: '/v1/admin/audit-log', authenticated: true },
  'admin-stats': { method: 'GET', path: '/v1/admin/stats', authenticated: true },
} as const satisfies Record<string, Operation>;

export type OperationName = keyof typeof OPERATIONS;
