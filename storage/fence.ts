import type { SqlDatabase } from './sql-database.js';
import type { InstanceId } from './types.js';

/**
 * A write for an instance carried a lease token smaller than one the store already
 * took for it: the node that made it lost the lease (paused, cut off, or told so by
 * a Redis that forgot), and another node writes for the instance now.
 */
export class FencedOutError extends Error {
  readonly code = 'HUB_FENCED_OUT';
  constructor(
    readonly instanceId: InstanceId,
    readonly token: number | undefined
  ) {
    super(token === undefined ? `no lease token for instance ${instanceId}` : `instance ${instanceId} was written with a newer token than ${token}`);
    this.name = 'FencedOutError';
  }
}

/** The per-instance fence in the store (table `instance_fences`). */
export interface InstanceFence {
  /**
   * Records `token` as the instance's and lets the transaction go on, or throws
   * FencedOutError when a larger token was recorded before. Call it inside the
   * write's own transaction, first: the refusal then rolls back the whole write, and
   * on PostgreSQL the row lock it takes orders this write against every other node's.
   */
  pass(instanceId: InstanceId, token: number): void;
  /** The largest token recorded for the instance; 0 before any. */
  stored(instanceId: InstanceId): number;
}

export function instanceFence(db: SqlDatabase): InstanceFence {
  // One statement: inserted or raised (1 row) when the token is not smaller than the stored one, 0 rows when it is.
  const raise = db.prepare<[InstanceId, number]>(
    `INSERT INTO instance_fences (instance_id, token) VALUES (?, ?)
     ON CONFLICT (instance_id) DO UPDATE SET token = excluded.token WHERE instance_fences.token <= excluded.token`
  );
  const read = db.prepare<[InstanceId], number>('SELECT token FROM instance_fences WHERE instance_id = ?').pluck();
  return {
    pass: (instanceId, token) => {
      if (raise.run(instanceId, token).changes === 0) throw new FencedOutError(instanceId, token);
    },
    stored: instanceId => Number(read.get(instanceId) ?? 0)
  };
}
