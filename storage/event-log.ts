import type { Database } from 'better-sqlite3';

export interface LoggedEvent {
  seq: number;
  event: string;
  /** The whole envelope as it was sent. */
  payload: string;
  created_at: number;
}

/**
 * The per-instance event log: it gives each event its `seq` and keeps the
 * envelope so a client can resume after the last `seq` it saw. The counter is
 * its own row, so a `seq` is never reused, even after old entries are pruned.
 */
export function eventLog(db: Database) {
  const bump = db.prepare<[string], number>(
    `INSERT INTO event_seq (instance_id, last_seq) VALUES (?, 1)
     ON CONFLICT(instance_id) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq`
  ).pluck();
  const insert = db.prepare<[string, number, string, string, number]>(
    'INSERT INTO event_log (instance_id, seq, event, payload, created_at) VALUES (?, ?, ?, ?, ?)'
  );
  const after = db.prepare<[string, number, number], LoggedEvent>(
    'SELECT seq, event, payload, created_at FROM event_log WHERE instance_id = ? AND seq > ? ORDER BY seq LIMIT ?'
  );
  const last = db.prepare<[string], number>('SELECT last_seq FROM event_seq WHERE instance_id = ?').pluck();
  return {
    /** Reserves the next `seq` and stores the envelope built with it. Call inside the event's transaction. */
    append(instanceId: string, event: string, build: (seq: number, timestamp: number) => unknown): { seq: number; payload: string } {
      const seq = bump.get(instanceId)!;
      const now = Date.now();
      const payload = JSON.stringify(build(seq, now));
      insert.run(instanceId, seq, event, payload, now);
      return { seq, payload };
    },
    after: (instanceId: string, seq: number, limit: number): LoggedEvent[] => after.all(instanceId, seq, limit),
    lastSeq: (instanceId: string): number => last.get(instanceId) ?? 0
  };
}
export type EventLog = ReturnType<typeof eventLog>;
