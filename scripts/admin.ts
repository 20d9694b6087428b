/**
 * `npm run admin -- grant <email> | revoke <email> | list`: the operator's command for the admin
 * role. It reads the servers' environment (a real database with DATABASE_URL, else the embedded
 * one under DATA_DIR, which no server may hold meanwhile) and migrates it first. A grant or a
 * revocation ends the user's sessions, so their next login carries the new role, and is audited.
 */
import { EmailSchema } from '@secureconnect/shared/accounts/api-schemas';
import type { AdminService } from '@secureconnect/shared/admin/admin-service';
import { ConfigError, loadConfig } from '@secureconnect/shared/config/env';
import { ProblemError } from '@secureconnect/shared/errors/problem';
import { createLogger } from '@secureconnect/shared/observability/logger';
import { Metrics } from '@secureconnect/shared/observability/metrics';
import { Platform } from '@secureconnect/shared/platform/platform';
import * as v from 'valibot';

const USAGE = 'usage: npm run admin -- grant <email> | revoke <email> | list';
/** What the audit log names as the origin of a role change. */
const VIA = 'npm run admin';

type Command = { name: 'grant' | 'revoke'; email: string } | { name: 'list' };

function parse(args: string[]): Command | undefined {
  const [name, email, ...extra] = args;
  if (name === 'list' && email === undefined) return { name };
  if ((name === 'grant' || name === 'revoke') && email !== undefined && extra.length === 0) {
    const parsed = v.safeParse(EmailSchema, email);
    if (parsed.success) return { name, email: parsed.output };
  }
  return undefined;
}

async function run(admin: AdminService, command: Command): Promise<void> {
  if (command.name === 'list') {
    let cursor: string | undefined;
    do {
      const page = await admin.listUsers({ role: 'admin', limit: 100, cursor });
      for (const user of page.items)
        console.log(`${user.email ?? '(deleted account)'}\t${user.displayName}\t${user.status}`);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return;
  }
  const role = command.name === 'grant' ? 'admin' : 'user';
  const { changed } = await admin.setRole(command.email, role, `${VIA} ${command.name}`);
  if (!changed) console.log(`${command.email} ${role === 'admin' ? 'is already' : 'is not'} an admin.`);
  else if (role === 'admin')
    console.log(`${command.email} is now an admin; they log in again to use the role.`);
  else console.log(`${command.email} is no longer an admin; their sessions have ended.`);
}

const command = parse(process.argv.slice(2));
if (!command) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`admin: configuration error: ${error.message}\n`);
  process.exit(1);
}
// The command's own lines are its output: the log says only what went wrong, unless asked for more.
const logger = createLogger({
  level: process.env.LOG_LEVEL ? config.LOG_LEVEL : 'warn',
  service: 'admin',
  destination: process.stderr,
});
const platform = new Platform(config, logger, new Metrics({ service: 'admin' }));
try {
  await run(await platform.admin(), command);
} catch (error) {
  process.exitCode = 1;
  process.stderr.write(`admin: ${error instanceof Error ? error.message : String(error)}\n`);
  if (!(error instanceof ProblemError)) logger.debug({ err: error }, 'the admin command failed');
} finally {
  await platform.close();
}
