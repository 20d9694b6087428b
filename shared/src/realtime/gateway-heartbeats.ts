import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema';
import type { Logger } from '../observability/logger';

export interface GatewayHeartbeatsDeps {
  /** Opened on first use: a gateway serves sockets while the database is down. */
  database: () => Promise<Kysely<DB>>;
  logger: Logger;
}

/**
 * One gateway's row in `gateway_heartbeats`: its count of authenticated sockets, rewritten on
 * every heartbeat, so the admin statistics can sum every gateway's. A gateway that dies without
 * deleting its row stops refreshing it, and readers ignore rows older than two heartbeats.
 * Writes run one after another, so a shutdown's delete is never overtaken by a late count;
 * failures are logged, never thrown (the statistics are not worth a socket).
 */
export class GatewayHeartbeats {
  /** Random per gateway: a restarted process is a new gateway, its predecessor's row expires. */
  readonly gatewayId = randomUUID();
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly deps: GatewayHeartbeatsDeps) {}

  report(sockets: number): void {
    void this.enqueue('gateway heartbeat not recorded', async (db) => {
      const seenAt = new Date();
      await db
        .insertInto('gateway_heartbeats')
        .values({ gateway_id: this.gatewayId, sockets, seen_at: seenAt })
        .onConflict((oc) => oc.column('gateway_id').doUpdateSet({ sockets, seen_at: seenAt }))
        .execute();
    });
  }

  /** Deletes the row once every earlier report is written: the gateway is going away. */
  forget(): Promise<void> {
    return this.enqueue('gateway heartbeat not removed', async (db) => {
      await db.deleteFrom('gateway_heartbeats').where('gateway_id', '=', this.gatewayId).execute();
    });
  }

  private enqueue(failure: string, write: (db: Kysely<DB>) => Promise<void>): Promise<void> {
    this.writes = this.writes.then(async () => {
      try {
        await write(await this.deps.database());
      } catch (error) {
        this.deps.logger.warn({ err: error, gatewayId: this.gatewayId }, failure);
      }
    });
    return this.writes;
  }
}
