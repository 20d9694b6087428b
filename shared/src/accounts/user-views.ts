import type { UserRow } from '../db/schema';
import type { PublicUser, User } from './api-schemas';

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email ?? '',
    displayName: row.display_name,
    avatarFileId: row.avatar_file_id,
    emailVerified: row.email_verified_at !== null,
    role: row.role,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

export function toPublicUser(row: Pick<UserRow, 'id' | 'display_name' | 'avatar_file_id'>): PublicUser {
  return { id: row.id, displayName: row.display_name, avatarFileId: row.avatar_file_id };
}
