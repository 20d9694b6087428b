/**
 * Request and response types of the API, inferred from the very valibot schemas the functions
 * validate with. Every import here is type-only: erased at runtime, so the SDK ships none of the
 * server's code, yet it cannot disagree with it about a field.
 */
import type { LoginBody } from '@secureconnect/fn-auth-login/handler';
import type { PasswordResetConfirmBody } from '@secureconnect/fn-auth-password-reset-confirm/handler';
import type { PasswordResetBody } from '@secureconnect/fn-auth-password-reset-request/handler';
import type { RegisterBody } from '@secureconnect/fn-auth-register/handler';
import type { PresenceQuerySchema } from '@secureconnect/fn-presence-get/handler';
import type { ChangePasswordBody } from '@secureconnect/fn-users-change-password/handler';
import type { DeleteMeBody } from '@secureconnect/fn-users-delete-me/handler';
import type { UpdateMeBody } from '@secureconnect/fn-users-update-me/handler';
import type {
  AuthSessionSchema,
  BlockedUserSchema,
  PublicUserSchema,
  TokenPairSchema,
  UserSchema,
} from '@secureconnect/shared/accounts/api-schemas';
import type {
  AdminUserSchema,
  AuditEntrySchema,
  AuditFilterSchema,
  BanSchema,
  StatsSchema,
  UserFilterSchema,
} from '@secureconnect/shared/admin/api-schemas';
import type {
  AiSettingsSchema,
  ReplySuggestionsSchema,
  SummarySchema,
  UpdateAiSettingsSchema,
} from '@secureconnect/shared/ai/api-schemas';
import type {
  CallSchema,
  CallTicketSchema,
  IceServerSchema,
  StartCallSchema,
} from '@secureconnect/shared/calls/api-schemas';
import type {
  AddMembersSchema,
  ConversationDetailSchema,
  ConversationSchema,
  CreateConversationSchema,
  EditMessageSchema,
  EventSchema,
  EventsQuerySchema,
  MemberSchema,
  MessageSchema,
  MessagesQuerySchema,
  RoleSchema,
  SearchQuerySchema,
  SendMessageSchema,
  UpdateConversationSchema,
  UpdateMemberSchema,
} from '@secureconnect/shared/conversations/api-schemas';
import type {
  DownloadSchema,
  FileListSchema,
  FileSchema,
  PresignUploadSchema,
  UploadTicketSchema,
} from '@secureconnect/shared/drive/api-schemas';
import type { PageQuerySchema } from '@secureconnect/shared/http/pagination';
import type { KeyBundleSchema, KeyUploadSchema } from '@secureconnect/shared/keys/api-schemas';
import type { DurableEventType } from '@secureconnect/shared/messaging/events';
import type { eventData } from '@secureconnect/shared/messaging/store-support';
import type {
  CreatePollSchema,
  PollOptionResultSchema,
  PollSchema,
  PollSnapshotSchema,
} from '@secureconnect/shared/polls/api-schemas';
import type {
  DeviceSchema,
  NotificationPreferencesSchema,
  RegisterDeviceSchema,
  UpdateNotificationPreferencesSchema,
} from '@secureconnect/shared/push/api-schemas';
import type { PresenceStatus } from '@secureconnect/shared/realtime/presence-store';
import type * as v from 'valibot';

/** What a client sends: the schema's input (defaults may be left out). */
type In<S extends v.GenericSchema> = v.InferInput<S>;
/** What the server answers: the schema's output. */
type Out<S extends v.GenericSchema> = v.InferOutput<S>;
/**
 * Query options as numbers and strings (the schema's parsed output), every one optional: the
 * server applies its defaults. The SDK turns them into the query string.
 */
type QueryOf<S extends v.GenericSchema> = Partial<Out<S>>;

// Accounts
export type User = Out<typeof UserSchema>;
export type PublicUser = Out<typeof PublicUserSchema>;
export type BlockedUser = Out<typeof BlockedUserSchema>;
export type TokenPair = Pick<Out<typeof TokenPairSchema>, 'accessToken' | 'refreshToken'>;
export type AuthSession = Out<typeof AuthSessionSchema>;
export type RegisterInput = In<typeof RegisterBody>;
export type LoginInput = In<typeof LoginBody>;
export type PasswordResetRequestInput = In<typeof PasswordResetBody>;
export type PasswordResetConfirmInput = In<typeof PasswordResetConfirmBody>;
export type ChangePasswordInput = In<typeof ChangePasswordBody>;
export type DeleteMeInput = In<typeof DeleteMeBody>;
export type UpdateMeInput = In<typeof UpdateMeBody>;

// Keys
export type KeyUploadInput = In<typeof KeyUploadSchema>;
export type KeyBundle = Out<typeof KeyBundleSchema>;

// Conversations, members, messages
export type Role = Out<typeof RoleSchema>;
export type Member = Out<typeof MemberSchema>;
export type Conversation = Out<typeof ConversationSchema>;
export type ConversationDetail = Out<typeof ConversationDetailSchema>;
export type CreateConversationInput = In<typeof CreateConversationSchema>;
export type UpdateConversationInput = In<typeof UpdateConversationSchema>;
export type AddMembersInput = In<typeof AddMembersSchema>;
export type UpdateMemberInput = In<typeof UpdateMemberSchema>;
export type Message = Out<typeof MessageSchema>;
/** `clientMessageId` may be left out: the SDK generates one, so a retried send stays one message. */
export type SendMessageInput = Omit<In<typeof SendMessageSchema>, 'clientMessageId'> & {
  clientMessageId?: string;
};
export type EditMessageInput = In<typeof EditMessageSchema>;
/** One entry of a conversation's event log, as `conversations.events` returns it. */
export type LoggedEvent = Out<typeof EventSchema>;

// Polls
export type Poll = Out<typeof PollSchema>;
/** A poll as every member sees it, without anyone's own choices: what `poll.updated` carries. */
export type PollSnapshot = Out<typeof PollSnapshotSchema>;
export type PollOptionResult = Out<typeof PollOptionResultSchema>;
/** `clientMessageId` may be left out: the SDK generates one, so a retried create stays one poll. */
export type CreatePollInput = Omit<In<typeof CreatePollSchema>, 'clientMessageId'> & {
  clientMessageId?: string;
};

// Drive
export type DriveFile = Out<typeof FileSchema>;
export type FileList = Out<typeof FileListSchema>;
export type FileDownload = Out<typeof DownloadSchema>;
export type UploadTicket = Out<typeof UploadTicketSchema>;
export type PresignUploadInput = In<typeof PresignUploadSchema>;

// Calls
export type Call = Out<typeof CallSchema>;
export type CallTicket = Out<typeof CallTicketSchema>;
export type IceServer = Out<typeof IceServerSchema>;
export type StartCallInput = In<typeof StartCallSchema>;

// Push
export type PushDevice = Out<typeof DeviceSchema>;
export type RegisterDeviceInput = In<typeof RegisterDeviceSchema>;
export type NotificationPreferences = Out<typeof NotificationPreferencesSchema>;
export type UpdateNotificationPreferencesInput = In<typeof UpdateNotificationPreferencesSchema>;

// AI helpers
export type AiSettings = Out<typeof AiSettingsSchema>;
export type UpdateAiSettingsInput = In<typeof UpdateAiSettingsSchema>;
export type Summary = Out<typeof SummarySchema>;
export type ReplySuggestions = Out<typeof ReplySuggestionsSchema>;

// Administration
export type AdminUser = Out<typeof AdminUserSchema>;
export type AuditEntry = Out<typeof AuditEntrySchema>;
export type AdminStats = Out<typeof StatsSchema>;
export type BanInput = In<typeof BanSchema>;
export type AdminUsersQuery = PageQuery & QueryOf<typeof UserFilterSchema>;
export type AuditLogQuery = PageQuery & QueryOf<typeof AuditFilterSchema>;

// Query options
export type PageQuery = QueryOf<typeof PageQuerySchema>;
export type EventsQuery = QueryOf<typeof EventsQuerySchema>;
export type MessagesQuery = QueryOf<typeof MessagesQuerySchema>;
export type SearchQuery = Omit<QueryOf<typeof SearchQuerySchema>, 'q'>;
export type PresenceQuery = Out<typeof PresenceQuerySchema>;

/** A page of a cursor-paginated list (SPEC §5). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type { DurableEventType, PresenceStatus };

/**
 * Payloads of the durable events, as the server builds them. Types the server does not describe
 * precisely (membership, conversation and call events) stay a plain record.
 */
export interface EventPayloads {
  'message.created': ReturnType<(typeof eventData)['created']>;
  'message.updated': ReturnType<(typeof eventData)['updated']>;
  'message.deleted': ReturnType<(typeof eventData)['deleted']>;
  'reaction.added': ReturnType<(typeof eventData)['reaction']>;
  'reaction.removed': ReturnType<(typeof eventData)['reaction']>;
  read: { userId: string; seq: number };
  'poll.updated': { poll: PollSnapshot };
  'call.ringing': { call: Call };
  'call.ended': {
    callId: string;
    endedBy: string | null;
    reason: NonNullable<Call['endReason']>;
    endedAt: string;
  };
}

/**
 * A durable conversation event as the app receives it (SPEC §6), whether it came live over the
 * socket or from the log during catch-up: narrow on `event` to get a typed `data`.
 */
export type ConversationEvent = {
  [T in DurableEventType]: {
    conversationId: string;
    seq: number;
    event: T;
    data: T extends keyof EventPayloads ? EventPayloads[T] : Record<string, unknown>;
  };
}[DurableEventType];
