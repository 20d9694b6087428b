import type { HttpTransport } from '../http';
import type {
  BlockedUser,
  ChangePasswordInput,
  DeleteMeInput,
  Page,
  PageQuery,
  PublicUser,
  UpdateMeInput,
  User,
} from '../types';

/** The caller's account and their relations to other users (`users-*`). */
export class UsersApi {
  constructor(private readonly http: HttpTransport) {}

  me(): Promise<User> {
    return this.http.call('users-me');
  }

  updateMe(input: UpdateMeInput): Promise<User> {
    return this.http.call('users-update-me', { body: input });
  }

  /** Every other session of the account ends; this one continues. */
  changePassword(input: ChangePasswordInput): Promise<void> {
    return this.http.call('users-change-password', { body: input });
  }

  /** Erases the account; the client's tokens are useless afterwards and are forgotten. */
  async deleteMe(input: DeleteMeInput): Promise<void> {
    await this.http.call<void>('users-delete-me', { body: input });
    this.http.forget();
  }

  /** Exact email match; 404 when there is no such user or a block stands between you. */
  lookup(email: string): Promise<PublicUser> {
    return this.http.call('users-lookup', { query: { email } });
  }

  block(userId: string): Promise<void> {
    return this.http.call('users-block', { params: { userId } });
  }

  unblock(userId: string): Promise<void> {
    return this.http.call('users-unblock', { params: { userId } });
  }

  /** Users the caller blocked, newest first. */
  blocked(query: PageQuery = {}): Promise<Page<BlockedUser>> {
    return this.http.call('users-blocked-list', { query });
  }
}
