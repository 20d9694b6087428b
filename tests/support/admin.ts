import { registerAccount, type TestAccount } from '../../shared/src/testing/accounts';
import type { TestServer } from '../../shared/src/testing/test-server';

/**
 * Grants the admin role as `npm run admin -- grant` does (the same service call, on the server's
 * platform). It ends the account's sessions: log in again for a token that carries the role.
 */
export async function grantAdmin(server: TestServer, email: string): Promise<void> {
  await (await server.server.platform.admin()).setRole(email, 'admin', 'npm run admin grant');
}

/** Makes an account an admin and logs it in again. */
export async function makeAdmin(server: TestServer, account: TestAccount): Promise<TestAccount> {
  await grantAdmin(server, account.email);
  const login = await server.request('POST', '/v1/auth/login', {
    body: { email: account.email, password: account.password },
  });
  if (login.status !== 200)
    throw new Error(`admin login failed: ${login.status} ${JSON.stringify(login.body)}`);
  return { ...account, accessToken: login.body.accessToken, refreshToken: login.body.refreshToken };
}

/** A fresh account with the admin role, logged in. */
export async function registerAdmin(server: TestServer): Promise<TestAccount> {
  return makeAdmin(server, await registerAccount(server, { displayName: 'Admin' }));
}
