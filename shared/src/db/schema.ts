import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Timestamps are written as Date and read back as Date (pg and PGlite both parse timestamptz). */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export type UserRole = 'user' | 'admin';
export type UserStatus = 'active' | 'banned' | 'deleted';

export interface UsersTable {
  id: Generated<string>;
  email: string | null;
  display_name: string;
  avatar_file_id: string | null;
  password_hash: string | null;
  role: ColumnType<UserRole, UserRole | undefined, UserRole>;
  status: ColumnType<UserStatus, UserStatus | undefined, UserStatus>;
  email_verified_at: Timestamp | null;
  failed_login_count: ColumnType<number, number | undefined, number>;
  locked_until: Timestamp | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

/** A session is one refresh-token family: every rotation stays in it; reuse revokes it whole. */
export interface SessionsTable {
  id: Generated<string>;
  user_id: string;
  created_at: CreatedAt;
  last_used_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
  revoked_reason: string | null;
  user_agent: string | null;
  ip: string | null;
}

export interface RefreshTokensTable {
  token_hash: string;
  session_id: string;
  user_id: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export type EmailTokenPurpose = 'verify-email' | 'password-reset';

export interface EmailTokensTable {
  token_hash: string;
  user_id: string;
  purpose: EmailTokenPurpose;
  created_at: CreatedAt;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface UserBlocksTable {
  blocker_id: string;
  blocked_id: string;
  created_at: CreatedAt;
}

export interface AuditLogTable {
  id: Generated<string>;
  occurred_at: CreatedAt;
  event: string;
  actor_id: string | null;
  subject_id: string | null;
  ip: string | null;
  request_id: string | null;
  details: ColumnType<Record<string, unknown>, string, string>;
}

export type ConversationType = 'direct' | 'group';
export type MemberRole = 'owner' | 'admin' | 'member';

/** bigint columns come back as strings from pg and PGlite alike; seqs stay far below 2^53. */
type BigIntColumn = ColumnType<string, number | string | undefined, number | string>;

export interface ConversationsTable {
  id: Generated<string>;
  type: ConversationType;
  title: string | null;
  direct_key: string | null;
  created_by: string;
  e2ee: ColumnType<boolean, boolean | undefined, boolean>;
  ai_enabled: ColumnType<boolean, boolean | undefined, boolean>;
  retention_days: number | null;
  last_seq: BigIntColumn;
  last_message_id: string | null;
  last_message_sender_id: string | null;
  last_message_preview: string | null;
  last_message_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ConversationMembersTable {
  conversation_id: string;
  user_id: string;
  role: ColumnType<MemberRole, MemberRole | undefined, MemberRole>;
  joined_at: CreatedAt;
  read_seq: BigIntColumn;
  muted_until: Timestamp | null;
}

export interface IdentityKeysTable {
  user_id: string;
  identity_key: string;
  signed_prekey_id: number;
  signed_prekey: string;
  signed_prekey_signature: string;
  updated_at: Timestamp;
}

export interface OneTimePrekeysTable {
  user_id: string;
  key_id: number;
  public_key: string;
}

/** The SQL MessageStore's per-conversation counter: the last seq handed out (a row, not a SQL sequence). */
export interface ConversationSeqsTable {
  conversation_id: string;
  last_seq: BigIntColumn;
}

export interface ConversationEventsTable {
  conversation_id: string;
  seq: BigIntColumn;
  type: string;
  actor_id: string | null;
  /** jsonb: written as a JSON string, read back parsed. */
  data: ColumnType<Record<string, unknown>, string, string>;
  created_at: Timestamp;
}

export interface MessagesTable {
  id: string;
  conversation_id: string;
  seq: BigIntColumn;
  sender_id: string;
  client_message_id: string;
  body: string;
  reply_to_id: string | null;
  /** jsonb array of file ids: written as a JSON string, read back parsed. */
  attachment_file_ids: ColumnType<string[], string | undefined, string>;
  created_at: Timestamp;
  edited_at: Timestamp | null;
  deleted_at: Timestamp | null;
  /** Set on the message that posted a poll. */
  poll_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface MessageReactionsTable {
  conversation_id: string;
  message_id: string;
  emoji: string;
  user_id: string;
  seq: BigIntColumn;
  created_at: Timestamp;
}

export interface PollsTable {
  id: Generated<string>;
  conversation_id: string;
  message_id: string | null;
  creator_id: string;
  question: string;
  multiple_choice: boolean;
  anonymous: boolean;
  closes_at: Timestamp | null;
  closed_at: Timestamp | null;
  closed_by: string | null;
  deleted_at: Timestamp | null;
  version: BigIntColumn;
  published_version: BigIntColumn;
  publishing_until: Timestamp | null;
  created_at: CreatedAt;
}

export interface PollOptionsTable {
  poll_id: string;
  id: string;
  position: number;
  text: string;
}

export interface PollVotesTable {
  poll_id: string;
  user_id: string;
  option_id: string;
  voted_at: CreatedAt;
}

export type FileStatus = 'pending' | 'ready';

export interface FilesTable {
  id: Generated<string>;
  owner_id: string;
  object_key: string;
  name: string;
  content_type: string;
  size: BigIntColumn;
  status: ColumnType<FileStatus, FileStatus | undefined, FileStatus>;
  created_at: CreatedAt;
  upload_expires_at: Timestamp;
  completed_at: Timestamp | null;
}

export interface DriveUsageTable {
  user_id: string;
  used_bytes: BigIntColumn;
  reserved_bytes: BigIntColumn;
}

export interface FileSharesTable {
  file_id: string;
  conversation_id: string;
  message_id: string;
  created_at: CreatedAt;
}

export interface BlobDeletionsTable {
  object_key: string;
  requested_at: CreatedAt;
  due_at: Timestamp;
  recheck_at: Timestamp | null;
  attempts: ColumnType<number, number | undefined, number>;
}

export type CallMode = 'livekit' | 'p2p';
export type CallEndReason = 'hung-up' | 'empty' | 'missed' | 'room-finished';

export interface CallsTable {
  id: Generated<string>;
  conversation_id: string;
  created_by: string;
  mode: CallMode;
  video: boolean;
  room: string | null;
  started_at: CreatedAt;
  ended_at: Timestamp | null;
  ended_by: string | null;
  end_reason: CallEndReason | null;
}

export interface CallParticipantsTable {
  call_id: string;
  user_id: string;
  joined_at: ColumnType<Date, Date | string | undefined, Date | string>;
  left_at: Timestamp | null;
}

export type PushPlatform = 'fcm' | 'apns';

export interface PushDevicesTable {
  id: Generated<string>;
  user_id: string;
  platform: PushPlatform;
  token: string;
  created_at: CreatedAt;
  registered_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface NotificationPreferencesTable {
  user_id: string;
  push_enabled: ColumnType<boolean, boolean | undefined, boolean>;
  previews: ColumnType<boolean, boolean | undefined, boolean>;
  quiet_start: string | null;
  quiet_end: string | null;
  time_zone: string | null;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface AiSettingsTable {
  user_id: string;
  enabled: boolean;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface MessageDailyCountsTable {
  /** A calendar day (UTC), read back as `YYYY-MM-DD` text or a Date depending on the driver. */
  day: ColumnType<Date | string, string, string>;
  shard: number;
  count: BigIntColumn;
}

export interface GatewayHeartbeatsTable {
  gateway_id: string;
  sockets: number;
  seen_at: Timestamp;
}

export interface DB {
  users: UsersTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  email_tokens: EmailTokensTable;
  user_blocks: UserBlocksTable;
  audit_log: AuditLogTable;
  conversations: ConversationsTable;
  conversation_members: ConversationMembersTable;
  identity_keys: IdentityKeysTable;
  one_time_prekeys: OneTimePrekeysTable;
  conversation_seqs: ConversationSeqsTable;
  conversation_events: ConversationEventsTable;
  messages: MessagesTable;
  message_reactions: MessageReactionsTable;
  polls: PollsTable;
  poll_options: PollOptionsTable;
  poll_votes: PollVotesTable;
  files: FilesTable;
  drive_usage: DriveUsageTable;
  file_shares: FileSharesTable;
  blob_deletions: BlobDeletionsTable;
  calls: CallsTable;
  call_participants: CallParticipantsTable;
  push_devices: PushDevicesTable;
  notification_preferences: NotificationPreferencesTable;
  ai_settings: AiSettingsTable;
  message_daily_counts: MessageDailyCountsTable;
  gateway_heartbeats: GatewayHeartbeatsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
export type ConversationRow = Selectable<ConversationsTable>;
export type MemberRow = Selectable<ConversationMembersTable>;
export type PollRow = Selectable<PollsTable>;
export type FileRow = Selectable<FilesTable>;
export type CallRow = Selectable<CallsTable>;
export type PushDeviceRow = Selectable<PushDevicesTable>;
