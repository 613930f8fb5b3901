import type { SqlDatabase } from './sql-database.js';
import type { InstanceId, Jid, MessageId } from './types.js';

/** A bulk send as stored; `state`, `message` and `options` belong to the server's vocabulary. */
export interface QueueRow {
  id: string;
  instance_id: InstanceId;
  state: string;
  reason: string | null;
  /** JSON. */
  message: string;
  /** JSON. */
  options: string;
  total: number;
  created_at: number;
  updated_at: number;
}

/** One recipient of a queue. `message_id` is committed before the send, so a retry after a crash reuses it. */
export interface RecipientRow {
  queue_id: string;
  position: number;
  number: string;
  jid: Jid | null;
  state: string;
  message_id: MessageId | null;
  error: string | null;
  /** Sends tried with `message_id` so far; transient failures are retried up to a bound. */
  attempts: number;
  updated_at: number;
}

export interface QueueCounts {
  pending: number;
  sending: number;
  sent: number;
  failed: number;
  unknown: number;
}

export interface QueuesRepository {
  create(queue: Omit<QueueRow, 'created_at' | 'updated_at' | 'reason'>, numbers: string[]): QueueRow;
  get(id: string): QueueRow | undefined;
  listByInstance(instanceId: InstanceId): QueueRow[];
  /** Queues in any of these states, oldest first (for resuming after a restart). */
  listInStates(states: readonly string[]): QueueRow[];
  setState(id: string, state: string, reason?: string | null): void;
  recipients(queueId: string): RecipientRow[];
  recipient(queueId: string, position: number): RecipientRow | undefined;
  /** The first recipient not yet handled (pending or caught mid-send), in order, from `position` on. */
  nextOpen(queueId: string, position?: number): RecipientRow | undefined;
  /** Up to `limit` pending recipients from `position` on whose number has not been checked yet, in order. */
  unchecked(queueId: string, position: number, limit: number): RecipientRow[];
  updateRecipient(queueId: string, position: number, patch: Partial<Pick<RecipientRow, 'jid' | 'state' | 'message_id' | 'error' | 'attempts'>>): void;
  counts(queueId: string): QueueCounts;
  /** The recipients WhatsApp took so far, in order: the lists COMPLETED and the manager events carry. */
  sent(queueId: string): { jid: Jid | null; number: string; message_id: MessageId | null }[];
  /** Recipients by state over every queue (for metrics). */
  statesOverall(): Record<string, number>;
}

export function queuesRepository(db: SqlDatabase): QueuesRepository {
  const insertQueue = db.prepare(
    `INSERT INTO queues (id, instance_id, state, message, options, total, created_at, updated_at)
     VALUES (@id, @instance_id, @state, @message, @options, @total, @now, @now)`
  );
  const insertRecipient = db.prepare<[string, number, string, number]>(
    "INSERT INTO queue_recipients (queue_id, position, number, state, updated_at) VALUES (?, ?, ?, 'pending', ?)"
  );
  const get = db.prepare<[string], QueueRow>('SELECT * FROM queues WHERE id = ?');
  const byInstance = db.prepare<[InstanceId], QueueRow>('SELECT * FROM queues WHERE instance_id = ? ORDER BY created_at, id');
  const setState = db.prepare<[string, string | null, number, string]>('UPDATE queues SET state = ?, reason = ?, updated_at = ? WHERE id = ?');
  const recipients = db.prepare<[string], RecipientRow>('SELECT * FROM queue_recipients WHERE queue_id = ? ORDER BY position');
  const recipient = db.prepare<[string, number], RecipientRow>('SELECT * FROM queue_recipients WHERE queue_id = ? AND position = ?');
  // From a position on: the runner walks in order, so it never rescans the rows it has handled.
  const nextOpen = db.prepare<[string, number], RecipientRow>(
    "SELECT * FROM queue_recipients WHERE queue_id = ? AND position >= ? AND state IN ('pending', 'sending') ORDER BY position LIMIT 1"
  );
  const unchecked = db.prepare<[string, number, number], RecipientRow>(
    "SELECT * FROM queue_recipients WHERE queue_id = ? AND position >= ? AND state = 'pending' AND jid IS NULL AND error IS NULL ORDER BY position LIMIT ?"
  );
  // One statement per set of patched fields, prepared once: a queue updates each recipient two or three times.
  const updates = new Map<string, ReturnType<SqlDatabase['prepare']>>();
  const updateFor = (fields: string[]) => {
    const key = fields.join(',');
    let stmt = updates.get(key);
    if (!stmt) {
      const sets = [...fields.map(f => `${f} = @${f}`), 'updated_at = @now'].join(', ');
      updates.set(key, (stmt = db.prepare(`UPDATE queue_recipients SET ${sets} WHERE queue_id = @queueId AND position = @position`)));
    }
    return stmt;
  };
  const counts = db.prepare<[string], { state: string; n: number }>('SELECT state, COUNT(*) AS n FROM queue_recipients WHERE queue_id = ? GROUP BY state');
  const sent = db.prepare<[string], { jid: Jid | null; number: string; message_id: MessageId | null }>(
    "SELECT jid, number, message_id FROM queue_recipients WHERE queue_id = ? AND state = 'sent' ORDER BY position"
  );
  // Counted from the (state, updated_at) index alone, without reading the rows.
  const allStates = db.prepare<[], { state: string; n: number }>('SELECT state, COUNT(*) AS n FROM queue_recipients GROUP BY state');

  const create = db.transaction((queue: Omit<QueueRow, 'created_at' | 'updated_at' | 'reason'>, numbers: string[]) => {
    const now = Date.now();
    insertQueue.run({ ...queue, now });
    numbers.forEach((number, position) => insertRecipient.run(queue.id, position, number, now));
    return get.get(queue.id)!;
  });

  return {
    statesOverall: () => Object.fromEntries(allStates.all().map(r => [r.state, r.n])),
    create,
    get: id => get.get(id),
    listByInstance: instanceId => byInstance.all(instanceId),
    listInStates(states) {
      if (!states.length) return [];
      return db
        .prepare<string[], QueueRow>(`SELECT * FROM queues WHERE state IN (${states.map(() => '?').join(',')}) ORDER BY created_at, id`)
        .all(...states);
    },
    setState: (id, state, reason = null) => void setState.run(state, reason, Date.now(), id),
    recipients: queueId => recipients.all(queueId),
    recipient: (queueId, position) => recipient.get(queueId, position),
    nextOpen: (queueId, position = 0) => nextOpen.get(queueId, position),
    unchecked: (queueId, position, limit) => unchecked.all(queueId, position, limit),
    updateRecipient(queueId, position, patch) {
      const fields = Object.keys(patch) as (keyof typeof patch)[];
      if (!fields.length) return;
      updateFor(fields).run({
        ...patch,
        now: Date.now(),
        queueId,
        position
      });
    },
    counts(queueId) {
      const out: QueueCounts = { pending: 0, sending: 0, sent: 0, failed: 0, unknown: 0 };
      for (const { state, n } of counts.all(queueId)) if (state in out) out[state as keyof QueueCounts] = n;
      return out;
    },
    sent: queueId => sent.all(queueId)
  };
}
