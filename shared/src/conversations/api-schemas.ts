import * as v from 'valibot';
import { UuidSchema } from '../accounts/api-schemas';

export const TitleSchema = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.nonEmpty('must not be blank'),
  v.maxLength(128, 'must be at most 128 characters'),
);

export const CreateConversationSchema = v.variant(
  'type',
  [
    v.object({ type: v.literal('direct'), userId: UuidSchema }),
    v.object({
      type: v.literal('group'),
      title: TitleSchema,
      memberIds: v.optional(
        v.pipe(
          v.array(UuidSchema, 'must be an array of user ids'),
          v.maxLength(1000, 'too many members at once'),
        ),
        [],
      ),
      e2ee: v.optional(v.boolean('must be a boolean'), false),
    }),
  ],
  'must be "direct" or "group"',
);
export type CreateConversation = v.InferOutput<typeof CreateConversationSchema>;

export const UpdateConversationSchema = v.pipe(
  v.object({
    title: v.optional(TitleSchema),
    e2ee: v.optional(v.boolean('must be a boolean')),
    aiEnabled: v.optional(v.boolean('must be a boolean')),
    retentionDays: v.optional(
      v.nullable(
        v.pipe(
          v.number('must be a number'),
          v.integer('must be an integer'),
          v.minValue(1, 'must be at least 1'),
          v.maxValue(3650, 'must be at most 3650'),
        ),
      ),
    ),
  }),
  v.check(
    (body) => Object.values(body).some((value) => value !== undefined),
    'must change at least one field',
  ),
);
export type UpdateConversation = v.InferOutput<typeof UpdateConversationSchema>;

export const ConversationParamsSchema = v.object({ conversationId: UuidSchema });
export const MemberParamsSchema = v.object({ conversationId: UuidSchema, userId: UuidSchema });
export const MessageParamsSchema = v.object({ conversationId: UuidSchema, messageId: UuidSchema });
export const ReactionParamsSchema = v.object({
  conversationId: UuidSchema,
  messageId: UuidSchema,
  emoji: v.pipe(
    v.string(),
    v.nonEmpty('is required'),
    v.maxLength(64, 'is too long'),
    v.regex(/^[^\s]+$/u, 'must not contain spaces'),
    v.check(
      (emoji) => [...new Intl.Segmenter().segment(emoji)].length === 1,
      'must be a single emoji or symbol',
    ),
  ),
});

export const AddMembersSchema = v.object({
  userIds: v.pipe(
    v.array(UuidSchema, 'must be an array of user ids'),
    v.minLength(1, 'must name at least one user'),
    v.maxLength(1000, 'too many users at once'),
  ),
});

export const RoleSchema = v.picklist(['owner', 'admin', 'member'], 'must be owner, admin or member');
export const UpdateMemberSchema = v.union(
  [
    v.strictObject({ role: RoleSchema }),
    v.strictObject({
      mutedUntil: v.nullable(
        v.pipe(v.string('must be a date-time'), v.isoTimestamp('must be an ISO 8601 date-time')),
      ),
    }),
  ],
  'must set either role or mutedUntil',
);
export type UpdateMember = v.InferOutput<typeof UpdateMemberSchema>;

export const MarkReadSchema = v.object({
  seq: v.pipe(
    v.number('must be a number'),
    v.integer('must be an integer'),
    v.minValue(0, 'must be at least 0'),
  ),
});

const seqQuery = v.pipe(v.string(), v.regex(/^\d+$/, 'must be a whole number'), v.transform(Number));
const limitQuery = (max: number, fallback: number) =>
  v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+$/, 'must be a whole number'),
      v.transform(Number),
      v.minValue(1, 'must be at least 1'),
      v.maxValue(max, `must be at most ${max}`),
    ),
    String(fallback),
  );

export const MessagesQuerySchema = v.pipe(
  v.object({ before: v.optional(seqQuery), after: v.optional(seqQuery), limit: limitQuery(100, 50) }),
  v.check(
    (query) => query.before === undefined || query.after === undefined,
    'use before or after, not both',
  ),
);

export const EventsQuerySchema = v.object({ after: v.optional(seqQuery, '0'), limit: limitQuery(500, 200) });

export const SearchQuerySchema = v.object({
  q: v.pipe(
    v.string('is required'),
    v.trim(),
    v.minLength(2, 'must be at least 2 characters'),
    v.maxLength(200, 'must be at most 200 characters'),
  ),
  limit: limitQuery(50, 20),
});

/** The sender's own id for a message, so that sending it again answers the same message. */
export const ClientMessageIdSchema = v.pipe(
  v.string('must be a string'),
  v.nonEmpty('is required'),
  v.maxLength(64, 'must be at most 64 characters'),
  v.regex(/^[\w.:-]+$/, 'may use letters, digits and . _ : - only'),
);

export const SendMessageSchema = v.object({
  clientMessageId: ClientMessageIdSchema,
  body: v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty')),
  replyToId: v.optional(v.nullable(UuidSchema)),
  attachmentFileIds: v.optional(v.pipe(v.array(UuidSchema), v.maxLength(10, 'at most 10 attachments')), []),
});
export type SendMessage = v.InferOutput<typeof SendMessageSchema>;

export const EditMessageSchema = v.object({
  body: v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty')),
});

export const MemberSchema = v.object({
  userId: v.string(),
  displayName: v.string(),
  role: RoleSchema,
  joinedAt: v.string(),
});

export const ConversationSchema = v.object({
  id: v.string(),
  type: v.picklist(['direct', 'group']),
  title: v.nullable(v.string()),
  e2ee: v.boolean(),
  aiEnabled: v.boolean(),
  retentionDays: v.nullable(v.number()),
  createdBy: v.string(),
  createdAt: v.string(),
  lastSeq: v.number(),
  lastMessage: v.nullable(
    v.object({
      id: v.string(),
      senderId: v.string(),
      preview: v.nullable(v.string()),
      createdAt: v.string(),
    }),
  ),
  unreadCount: v.number(),
  readSeq: v.number(),
  role: RoleSchema,
  mutedUntil: v.nullable(v.string()),
  memberCount: v.number(),
});
export type Conversation = v.InferOutput<typeof ConversationSchema>;

export const ConversationDetailSchema = v.object({
  ...ConversationSchema.entries,
  members: v.array(MemberSchema),
});
export type ConversationDetail = v.InferOutput<typeof ConversationDetailSchema>;

export const MessageSchema = v.object({
  id: v.string(),
  conversationId: v.string(),
  seq: v.number(),
  senderId: v.string(),
  clientMessageId: v.string(),
  body: v.string(),
  replyToId: v.nullable(v.string()),
  attachmentFileIds: v.array(v.string()),
  pollId: v.nullable(v.string()),
  createdAt: v.string(),
  editedAt: v.nullable(v.string()),
  deletedAt: v.nullable(v.string()),
  /** emoji → ids of the users who reacted with it, in reaction order. */
  reactions: v.record(v.string(), v.array(v.string())),
});
export type Message = v.InferOutput<typeof MessageSchema>;

export const EventSchema = v.object({
  conversationId: v.string(),
  seq: v.number(),
  event: v.string(),
  actorId: v.nullable(v.string()),
  data: v.record(v.string(), v.unknown()),
  createdAt: v.string(),
});
export type EventView = v.InferOutput<typeof EventSchema>;
