/**
 * `@secureconnect/client`: the typed REST client ({@link SecureConnectClient}) and the realtime
 * client with automatic recovery ({@link RealtimeClient}).
 */
export type { BackoffOptions } from './backoff';
export { SecureConnectClient, type SecureConnectClientOptions } from './client';
export { type FieldError, type Problem, SecureConnectError } from './errors';
export { OPERATIONS, type Operation, type OperationName } from './operations';
export {
  type ConnectionState,
  RealtimeClient,
  type RealtimeClientOptions,
  type RealtimeEvents,
  type WebSocketConstructor,
  type WebSocketLike,
} from './realtime';
export type * from './types';
