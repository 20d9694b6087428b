import type { HttpTransport } from '../http';
import type { AddMembersInput, Role, UpdateMemberInput } from '../types';

/** Group membership and roles (`members-*`). */
export class MembersApi {
  constructor(private readonly http: HttpTransport) {}

  /** Owners and admins add users; those already in the group are skipped. */
  add(conversationId: string, input: AddMembersInput): Promise<{ added: string[] }> {
    return this.http.call('members-add', { params: { conversationId }, body: input });
  }

  /** Owners and admins remove a member; anyone removes themself to leave. */
  remove(conversationId: string, userId: string): Promise<void> {
    return this.http.call('members-remove', { params: { conversationId, userId } });
  }

  /** `{role}` by owners and admins, or `{mutedUntil}` by the member themself. */
  update(
    conversationId: string,
    userId: string,
    input: UpdateMemberInput,
  ): Promise<{ userId: string; role: Role; mutedUntil: string | null }> {
    return this.http.call('members-update', { params: { conversationId, userId }, body: input });
  }
}
