import { type Kysely, sql } from 'kysely';
import { noBlockBetween } from '../accounts/blocks';
import type { DB } from '../db/schema';
import { withTransaction } from '../db/transaction';
import { notFound, ProblemError } from '../errors/problem';
import type { RateLimiter } from '../ratelimit/rate-limiter';
import { type KeyBundle, type KeyUpload, MAX_ONE_TIME_PREKEYS_STORED } from './api-schemas';

/**
 * The E2EE key directory (SPEC §5 keys-*, §8): the server stores public keys only and hands each
 * one-time prekey to exactly one requester.
 */
export class KeyDirectory {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly limiter: RateLimiter,
  ) {}

  /**
   * Publishes the caller's identity and signed prekey and adds one-time prekeys. A new identity
   * key (a reinstall) discards the old one-time prekeys: they belong to the old identity.
   */
  async upload(userId: string, keys: KeyUpload): Promise<void> {
    await withTransaction(this.db, async (trx) => {
      const current = await trx
        .selectFrom('identity_keys')
        .select('identity_key')
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (current && current.identity_key !== keys.identityKey) {
        await trx.deleteFrom('one_time_prekeys').where('user_id', '=', userId).execute();
      }
      const row = {
        identity_key: keys.identityKey,
        signed_prekey_id: keys.signedPrekey.keyId,
        signed_prekey: keys.signedPrekey.publicKey,
        signed_prekey_signature: keys.signedPrekey.signature,
        updated_at: new Date(),
      };
      await trx
        .insertInto('identity_keys')
        .values({ user_id: userId, ...row })
        .onConflict((oc) => oc.column('user_id').doUpdateSet(row))
        .execute();
      if (keys.oneTimePrekeys.length === 0) return;
      const stored = await this.countIn(trx, userId);
      if (stored + keys.oneTimePrekeys.length > MAX_ONE_TIME_PREKEYS_STORED) {
        throw new ProblemError(
          409,
          'too-many-prekeys',
          `At most ${MAX_ONE_TIME_PREKEYS_STORED} one-time prekeys may be stored; ${stored} are.`,
        );
      }
      await trx
        .insertInto('one_time_prekeys')
        .values(
          keys.oneTimePrekeys.map((key) => ({
            user_id: userId,
            key_id: key.keyId,
            public_key: key.publicKey,
          })),
        )
        .onConflict((oc) => oc.columns(['user_id', 'key_id']).doNothing())
        .execute();
    });
  }

  /**
   * Another user's bundle, consuming one of their one-time prekeys. `FOR UPDATE SKIP LOCKED` in a
   * single statement lets concurrent requests take different keys instead of queueing or retrying;
   * `DELETE … RETURNING` hands a key to exactly one of them.
   */
  async bundle(callerId: string, userId: string): Promise<KeyBundle> {
    await this.limiter.consume('key-bundle', callerId);
    const identity = await this.db
      .selectFrom('identity_keys')
      .innerJoin('users', 'users.id', 'identity_keys.user_id')
      .selectAll('identity_keys')
      .where('identity_keys.user_id', '=', userId)
      .where('users.status', '=', 'active')
      .where(noBlockBetween('identity_keys.user_id', callerId))
      .executeTakeFirst();
    if (!identity) throw notFound('That user has published no keys.');
    const claimed = await this.db
      .deleteFrom('one_time_prekeys')
      .where('user_id', '=', userId)
      .where('key_id', '=', (eb) =>
        eb
          .selectFrom('one_time_prekeys')
          .select('key_id')
          .where('user_id', '=', userId)
          .orderBy('key_id')
          .limit(1)
          .forUpdate()
          .skipLocked(),
      )
      .returning(['key_id', 'public_key'])
      .executeTakeFirst();
    return {
      userId,
      identityKey: identity.identity_key,
      signedPrekey: {
        keyId: identity.signed_prekey_id,
        publicKey: identity.signed_prekey,
        signature: identity.signed_prekey_signature,
      },
      oneTimePrekey: claimed ? { keyId: claimed.key_id, publicKey: claimed.public_key } : null,
    };
  }

  async count(userId: string): Promise<number> {
    return this.countIn(this.db, userId);
  }

  private async countIn(executor: Kysely<DB>, userId: string): Promise<number> {
    const row = await executor
      .selectFrom('one_time_prekeys')
      .select(sql<string>`count(*)`.as('count'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}
