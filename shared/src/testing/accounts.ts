import { randomUUID } from 'node:crypto';
import type { TestServer } from './test-server';

export interface TestAccount {
  id: string;
  email: string;
  password: string;
  displayName: string;
  accessToken: string;
  refreshToken: string;
}

/** Registers a fresh account through the public API and returns its credentials and tokens. */
export async function registerAccount(
  server: TestServer,
  overrides: Partial<Pick<TestAccount, 'email' | 'password' | 'displayName'>> = {},
): Promise<TestAccount> {
  const email = overrides.email ?? `user-${randomUUID()}@example.test`;
  const password = overrides.password ?? 'correct horse battery staple';
  const displayName = overrides.displayName ?? 'Test User';
  const response = await server.request('POST', '/v1/auth/register', {
    body: { email, password, displayName },
  });
  if (response.status !== 201)
    throw new Error(`register failed: ${response.status} ${JSON.stringify(response.body)}`);
  return {
    id: response.body.user.id,
    email,
    password,
    displayName,
    accessToken: response.body.accessToken,
    refreshToken: response.body.refreshToken,
  };
}

/** The one-time token carried by the link in the newest matching mail to `email`. */
export async function tokenFromMail(server: TestServer, email: string, subject: RegExp): Promise<string> {
  const mail = await server.smtp.waitFor(
    (message) => message.to.includes(email) && subject.test(message.subject),
  );
  const match = /[?&]token=([^\s&]+)/.exec(mail.text);
  if (!match?.[1]) throw new Error(`no token link in mail: ${mail.text}`);
  return decodeURIComponent(match[1]);
}
