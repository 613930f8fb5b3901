import type { SqlDatabase } from './sql-database.js';
import type { InstanceId } from './types.js';

/** An entry of the log as stored; `after` answers them in seq order. */
export interface LoggedEvent {
  seq: number;
  event: string;
  /**
   * The JSON text stored: what a builder returned (the whole envelope, which a
   * replay sends as is, without parsing), or the payload given without its seq.
   */
  payload: string;
  /** Milliseconds since the epoch when it was appended: the envelope's `timestamp`. */
  created_at: number;
}

/** What appending through a builder answers: the seq given, and the JSON text stored (ready to send). */
export interface AppendedEvent {
  seq: number;
  payload: string;
}

/** Builds the payload once the event's seq and timestamp are known, e.g. the whole envelope. */
export type PayloadBuilder = (seq: number, timestamp: number) => unknown;

/**
 * Retention. An entry goes when it is older than `maxAgeMs` or beyond the newest
 * `maxCount` of its instance, unless its seq is above `keepAfterSeq` (a resume
 * point a client still needs) or above the cursor of one of the instance's
 * enabled webhooks. Without `maxAgeMs` and `maxCount` nothing goes.
 */
export interface PruneOptions {
  /** Limits the prune to one instance; every instance otherwise. */
  instanceId?: InstanceId;
  maxAgeMs?: number;
  /** Entries kept per instance. */
  maxCount?: number;
  keepAfterSeq?: number;
}

export interface EventLog {
  /**
   * Gives the event the instance's next seq and stores the payload built from
   * it and the timestamp (e.g. the whole envelope); answers both. Call it inside
   * the transaction of the store writes the event reports, so both commit
   * together; a rolled-back append gives its seq back unused.
   */
  append(instanceId: InstanceId, event: string, build: PayloadBuilder): AppendedEvent;
  /** The same with a payload that does not carry its seq (the row's seq and created_at complete it); answers the seq. */
  append(instanceId: InstanceId, event: string, payloadWithoutSeq: object): number;
  /** Up to `limit` entries with seq greater than `seq`, in seq order: what a reconnecting client missed. */
  after(instanceId: InstanceId, seq: number, limit: number): LoggedEvent[];
  /** The last seq given out (0 before the first), even when that entry was pruned. */
  lastSeq(instanceId: InstanceId): number;
  /** Deletes old entries (never the seq counters); answers how many. */
  prune(options: PruneOptions): number;
}

interface PruneParams {
  instanceId: InstanceId | null;
  cutoff: number;
  keepAfterSeq: number | null;
}

/**
 * The per-instance event log: it numbers each event (`seq` in EVENTS.md) and
 * keeps its payload so a client can resume after the last seq it saw. The
 * counter lives in its own table (`event_seq`), not in MAX(seq) of the log, so a
 * seq is never given twice, even after pruning emptied the log.
 *
 * `now` is the clock for `created_at` and age pruning; tests pass their own.
 */
export function eventLog(db: SqlDatabase, options: { now?: () => number } = {}): EventLog {
  const now = options.now ?? Date.now;
  const bump = db
    .prepare<[InstanceId], number>(
      `INSERT INTO event_seq (instance_id, last_seq) VALUES (?, 1)
       ON CONFLICT (instance_id) DO UPDATE SET last_seq = event_seq.last_seq + 1 RETURNING last_seq`
    )
    .pluck();
  const insert = db.prepare<[InstanceId, number, string, string, number]>(
    'INSERT INTO event_log (instance_id, seq, event, payload, created_at) VALUES (?, ?, ?, ?, ?)'
  );
  const after = db.prepare<[InstanceId, number, number], LoggedEvent>(
    'SELECT seq, event, payload, created_at FROM event_log WHERE instance_id = ? AND seq > ? ORDER BY seq LIMIT ?'
  );
  const last = db.prepare<[InstanceId], number>('SELECT last_seq FROM event_seq WHERE instance_id = ?').pluck();
  const pruneOlder = db.prepare<[PruneParams]>(
    `DELETE FROM event_log
     WHERE created_at < @cutoff
       AND (CAST(@instanceId AS TEXT) IS NULL OR instance_id = @instanceId)
       AND (CAST(@keepAfterSeq AS BIGINT) IS NULL OR seq <= @keepAfterSeq)
       AND seq <= COALESCE((SELECT MIN(cursor) FROM webhooks w WHERE w.instance_id = event_log.instance_id AND w.enabled = 1), seq)`
  );
  // What an enabled webhook has not passed yet stays, however old: the log is its outbox.
  const webhookHold = db
    .prepare<[InstanceId], number | null>('SELECT MIN(cursor) FROM webhooks WHERE instance_id = ? AND enabled = 1')
    .pluck();
  const instances = db
    .prepare<[{ instanceId: InstanceId | null }], InstanceId>('SELECT instance_id FROM event_seq WHERE CAST(@instanceId AS TEXT) IS NULL OR instance_id = @instanceId')
    .pluck();
  // The newest entry beyond the first `maxCount`: it and everything older go. One seek per instance, on the primary key.
  const countBoundary = db
    .prepare<[InstanceId, number], number>('SELECT seq FROM event_log WHERE instance_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?')
    .pluck();
  const pruneUpTo = db.prepare<[InstanceId, number]>('DELETE FROM event_log WHERE instance_id = ? AND seq <= ?');

  // The counter and the entry are one unit even when the caller opened no transaction (a savepoint when it did).
  const appendOne = db.transaction((instanceId: InstanceId, event: string, payload: object | PayloadBuilder): AppendedEvent => {
    const seq = bump.get(instanceId)!;
    const createdAt = now();
    const json = JSON.stringify(typeof payload === 'function' ? payload(seq, createdAt) : payload);
    insert.run(instanceId, seq, event, json, createdAt);
    return { seq, payload: json };
  });
  function append(instanceId: InstanceId, event: string, build: PayloadBuilder): AppendedEvent;
  function append(instanceId: InstanceId, event: string, payloadWithoutSeq: object): number;
  function append(instanceId: InstanceId, event: string, payload: object | PayloadBuilder): number | AppendedEvent {
    const appended = appendOne(instanceId, event, payload);
    return typeof payload === 'function' ? appended : appended.seq;
  }

  const prune = db.transaction(({ instanceId, maxAgeMs, maxCount, keepAfterSeq }: PruneOptions): number => {
    let deleted = 0;
    if (maxAgeMs !== undefined) {
      deleted += pruneOlder.run({ instanceId: instanceId ?? null, cutoff: now() - maxAgeMs, keepAfterSeq: keepAfterSeq ?? null }).changes;
    }
    if (maxCount !== undefined) {
      for (const id of instances.all({ instanceId: instanceId ?? null })) {
        const boundary = countBoundary.get(id, maxCount);
        if (boundary !== undefined) deleted += pruneUpTo.run(id, Math.min(boundary, keepAfterSeq ?? boundary, webhookHold.get(id) ?? boundary)).changes;
      }
    }
    return deleted;
  });

  return {
    append,
    after: (instanceId, seq, limit) => after.all(instanceId, seq, limit),
    lastSeq: instanceId => last.get(instanceId) ?? 0,
    prune
  };
}
