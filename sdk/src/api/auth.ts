import type { HttpTransport } from '../http';
import type {
  AuthSession,
  LoginInput,
  PasswordResetConfirmInput,
  PasswordResetRequestInput,
  RegisterInput,
  TokenPair,
} from '../types';

/** Accounts and sessions (`auth-*`). Register and login start the client's session; logout ends it. */
export class AuthApi {
  constructor(private readonly http: HttpTransport) {}

  /** Creates an account and logs in as it; a verification email is on its way. */
  async register(input: RegisterInput): Promise<AuthSession> {
    const session = await this.http.call<AuthSession>('auth-register', { body: input });
    this.http.adopt(session);
    return session;
  }

  /** Logs in; 401 for a wrong email or password alike, 429 (with `retryAfter`) when locked. */
  async login(input: LoginInput): Promise<AuthSession> {
    const session = await this.http.call<AuthSession>('auth-login', { body: input });
    this.http.adopt(session);
    return session;
  }

  /** Rotates the tokens now (the client also does it by itself on a 401). */
  refresh(): Promise<TokenPair> {
    return this.http.refresh();
  }

  /** Ends the session on the server and forgets its tokens here. */
  async logout(): Promise<void> {
    await this.http.call<void>('auth-logout');
    this.http.forget();
  }

  /** Spends the token from the verification email. */
  verifyEmail(token: string): Promise<void> {
    return this.http.call('auth-verify-email', { body: { token } });
  }

  resendVerification(): Promise<void> {
    return this.http.call('auth-resend-verification');
  }

  /** Always succeeds (202), whether or not the address has an account. */
  requestPasswordReset(input: PasswordResetRequestInput): Promise<void> {
    return this.http.call('auth-password-reset-request', { body: input });
  }

  /** Sets a new password with the emailed token; every session of the account ends. */
  confirmPasswordReset(input: PasswordResetConfirmInput): Promise<void> {
    return this.http.call('auth-password-reset-confirm', { body: input });
  }
}
