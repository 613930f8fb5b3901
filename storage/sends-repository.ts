import type { SqlDatabase } from './sql-database.js';
import type { InstanceId } from './types.js';

/**
 * How many messages each instance sent per day, single sends and bulk sends
 * alike: a queue's daily cap is about the number, not about one queue.
 */
export interface SendsRepository {
  /** Counts one send on the day starting at `day` (ms). */
  record(instanceId: InstanceId, day: number): void;
  /** Sends counted on the day starting at `day` (ms). */
  on(instanceId: InstanceId, day: number): number;
}

export function sendsRepository(db: SqlDatabase): SendsRepository {
  const record = db.prepare<[InstanceId, number]>(
    'INSERT INTO instance_sends (instance_id, day, count) VALUES (?, ?, 1) ON CONFLICT (instance_id, day) DO UPDATE SET count = instance_sends.count + 1'
  );
  const on = db.prepare<[InstanceId, number], number>('SELECT count FROM instance_sends WHERE instance_id = ? AND day = ?').pluck();
  const prune = db.prepare<[InstanceId, number]>('DELETE FROM instance_sends WHERE instance_id = ? AND day < ?');
  return {
    record(instanceId, day) {
      record.run(instanceId, day);
      // Only today's count is ever read; yesterday's rows are dropped as the day turns.
      prune.run(instanceId, day);
    },
    on: (instanceId, day) => on.get(instanceId, day) ?? 0
  };
}
