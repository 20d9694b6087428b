import * as v from 'valibot';

/** Field rules shared by the account operations, so every function validates alike. */
export const EmailSchema = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.toLowerCase(),
  v.nonEmpty('is required'),
  v.maxLength(254, 'must be at most 254 characters'),
  v.email('must be an email address'),
);

/** OWASP ASVS: at least 8 characters, long passphrases allowed, no composition rules. */
export const NewPasswordSchema = v.pipe(
  v.string('must be a string'),
  v.minLength(8, 'must be at least 8 characters'),
  v.maxLength(256, 'must be at most 256 characters'),
);

/** A password being checked, not chosen: any non-empty string up to the same cap. */
export const PasswordSchema = v.pipe(
  v.string('must be a string'),
  v.nonEmpty('is required'),
  v.maxLength(256, 'must be at most 256 characters'),
);

export const DisplayNameSchema = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.nonEmpty('must not be blank'),
  v.maxLength(64, 'must be at most 64 characters'),
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  v.regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters'),
);

export const UuidSchema = v.pipe(v.string('must be a string'), v.uuid('must be a UUID'));

export const UserIdParamsSchema = v.object({ userId: UuidSchema });

export const OpaqueTokenSchema = v.pipe(
  v.string('must be a string'),
  v.nonEmpty('is required'),
  v.maxLength(256, 'is not a valid token'),
);

/** The caller's own account. */
export const UserSchema = v.object({
  id: v.string(),
  email: v.string(),
  displayName: v.string(),
  avatarFileId: v.nullable(v.string()),
  emailVerified: v.boolean(),
  role: v.picklist(['user', 'admin']),
  createdAt: v.string(),
});
export type User = v.InferOutput<typeof UserSchema>;

/** What other users may see of someone. */
export const PublicUserSchema = v.object({
  id: v.string(),
  displayName: v.string(),
  avatarFileId: v.nullable(v.string()),
});
export type PublicUser = v.InferOutput<typeof PublicUserSchema>;

export const TokenPairSchema = v.object({
  accessToken: v.string(),
  refreshToken: v.string(),
  expiresIn: v.number(),
});
export type TokenPair = v.InferOutput<typeof TokenPairSchema>;

export const AuthSessionSchema = v.object({ user: UserSchema, ...TokenPairSchema.entries });
export type AuthSession = v.InferOutput<typeof AuthSessionSchema>;

export const BlockedUserSchema = v.object({ user: PublicUserSchema, blockedAt: v.string() });
export type BlockedUser = v.InferOutput<typeof BlockedUserSchema>;
