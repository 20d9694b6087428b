/** Something members who are not connected should hear about by push (SPEC §5 push-dispatch). */
export type PushJob =
  | { kind: 'message'; conversationId: string; messageId: string }
  | { kind: 'call'; conversationId: string; callId: string };

/**
 * Hands a job to `push-dispatch` without making the caller wait for it: in-process in embedded
 * mode, an OpenFaaS asynchronous invocation in production. Never throws: a push is a courtesy, and
 * the message or call it announces is already stored and delivered by the gateways.
 */
export interface PushQueue {
  enqueue(job: PushJob): Promise<void>;
}
