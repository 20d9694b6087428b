import type { Migration } from 'kysely';
import * as m0001 from './0001_accounts';
import * as m0002 from './0002_conversations';
import * as m0003 from './0003_messages';
import * as m0004 from './0004_polls_and_drive';
import * as m0005 from './0005_calls_and_push';
import * as m0006 from './0006_admin_and_ai';

/** Every migration, keyed by name; Kysely runs them in name order. Append only: never rename or edit one that shipped. */
export const migrations: Record<string, Migration> = {
  '0001_accounts': m0001,
  '0002_conversations': m0002,
  '0003_messages': m0003,
  '0004_polls_and_drive': m0004,
  '0005_calls_and_push': m0005,
  '0006_admin_and_ai': m0006,
};
