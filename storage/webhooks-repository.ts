import { jsonStrings, type SqlDatabase } from './sql-database.js';
import type { LoggedEvent } from './event-log.js';
import type { InstanceId } from './types.js';

/** A webhook as stored. `events` is a JSON array of canonical names, null for every event. */
export interface WebhookRow {
  id: string;
  instance_id: InstanceId;
  /** 1 for the row the hub keeps per instance for `WEBHOOK_URL`. */
  global: number;
  url: string;
  events: string | null;
  enabled: number;
  secret: string;
  /** The last seq acknowledged by the receiver, skipped by the filter, or given up on. */
  cursor: number;
  status: string;
  last_error: string | null;
  /** Attempts made so far on the event after the cursor. */
  attempts: number;
  created_at: number;
}

export interface DeadLetterRow {
  webhook_id: string;
  seq: number;
  event: string;
  payload: string;
  attempts: number;
  last_error: string | null;
  failed_at: number;
}

export type NewWebhook = Pick<WebhookRow, 'id' | 'instance_id' | 'url' | 'events' | 'enabled' | 'secret' | 'cursor'> & { global?: number };

export interface WebhooksRepository {
  create(webhook: NewWebhook): WebhookRow;
  get(id: string): WebhookRow | undefined;
  listByInstance(instanceId: InstanceId): WebhookRow[];
  listAll(): WebhookRow[];
  globalOf(instanceId: InstanceId): WebhookRow | undefined;
  update(id: string, patch: Partial<Pick<WebhookRow, 'url' | 'events' | 'enabled' | 'secret' | 'cursor' | 'status' | 'last_error' | 'attempts'>>): void;
  delete(id: string): boolean;
  /** Up to `limit` entries after `seq` that the filter takes (JSON array of names, or null for all), in seq order. */
  pendingEvents(instanceId: InstanceId, seq: number, events: string | null, limit: number): LoggedEvent[];
  /** How many entries after `seq` the filter takes. */
  countPending(instanceId: InstanceId, seq: number, events: string | null): number;
  /**
   * The receiver acknowledged `seq`: the cursor moves to it. The status is `ok`
   * again unless dead letters wait for a redelivery: then it stays `failing`, with its error.
   */
  acknowledge(id: string, seq: number): void;
  /** Records a dead letter and moves the cursor past it, in one transaction. */
  giveUp(webhookId: string, letter: Omit<DeadLetterRow, 'webhook_id' | 'failed_at'>): void;
  deadLetters(instanceId: InstanceId, webhookId?: string): DeadLetterRow[];
  /** Dead letters of enabled webhooks, over every instance: a count for the metrics, without reading payloads. */
  countDeadLetters(): number;
  /** Forgets the dead letters from `fromSeq` on and sets the cursor before it: they are delivered again. */
  rewind(webhookId: string, fromSeq: number): void;
}

/** Named, not `*`: on PostgreSQL the table also has the `rowid` column that SQLite keeps hidden (migration 9). */
const COLUMNS = 'id, instance_id, global, url, events, enabled, secret, cursor, status, last_error, attempts, created_at';

export function webhooksRepository(db: SqlDatabase): WebhooksRepository {
  const insert = db.prepare(
    `INSERT INTO webhooks (id, instance_id, global, url, events, enabled, secret, cursor, created_at)
     VALUES (@id, @instance_id, @global, @url, @events, @enabled, @secret, @cursor, @now)`
  );
  const get = db.prepare<[string], WebhookRow>(`SELECT ${COLUMNS} FROM webhooks WHERE id = ?`);
  const byInstance = db.prepare<[InstanceId], WebhookRow>(`SELECT ${COLUMNS} FROM webhooks WHERE instance_id = ? ORDER BY created_at, rowid`);
  const all = db.prepare<[], WebhookRow>(`SELECT ${COLUMNS} FROM webhooks ORDER BY created_at, rowid`);
  const globalOf = db.prepare<[InstanceId], WebhookRow>(`SELECT ${COLUMNS} FROM webhooks WHERE instance_id = ? AND global = 1`);
  const remove = db.prepare<[string]>('DELETE FROM webhooks WHERE id = ?');
  // The stored filter as a set the primary-key range is matched against.
  const pending = db.prepare<[{ instanceId: InstanceId; seq: number; events: string | null; limit: number }], LoggedEvent>(
    `SELECT seq, event, payload, created_at FROM event_log
     WHERE instance_id = @instanceId AND seq > @seq
       AND (CAST(@events AS TEXT) IS NULL OR event IN (${jsonStrings(db.dialect, '@events')}))
     ORDER BY seq LIMIT @limit`
  );
  const count = db
    .prepare<[{ instanceId: InstanceId; seq: number; events: string | null }], number>(
      `SELECT COUNT(*) FROM event_log
       WHERE instance_id = @instanceId AND seq > @seq
         AND (CAST(@events AS TEXT) IS NULL OR event IN (${jsonStrings(db.dialect, '@events')}))`
    )
    .pluck();
  const acknowledge = db.prepare<[number, string]>(
    `UPDATE webhooks SET cursor = ?, attempts = 0,
       status = CASE WHEN EXISTS (SELECT 1 FROM webhook_dead_letters d WHERE d.webhook_id = webhooks.id) THEN 'failing' ELSE 'ok' END,
       last_error = CASE WHEN EXISTS (SELECT 1 FROM webhook_dead_letters d WHERE d.webhook_id = webhooks.id) THEN last_error ELSE NULL END
     WHERE id = ?`
  );
  const insertLetter = db.prepare(
    `INSERT INTO webhook_dead_letters (webhook_id, seq, event, payload, attempts, last_error, failed_at)
     VALUES (@webhook_id, @seq, @event, @payload, @attempts, @last_error, @failed_at)
     ON CONFLICT (webhook_id, seq) DO UPDATE SET
       event = excluded.event, payload = excluded.payload, attempts = excluded.attempts,
       last_error = excluded.last_error, failed_at = excluded.failed_at`
  );
  const advance = db.prepare<[number, string | null, string]>("UPDATE webhooks SET cursor = ?, attempts = 0, status = 'failing', last_error = ? WHERE id = ?");
  const lettersOf = db.prepare<[{ instanceId: InstanceId; webhookId: string | null }], DeadLetterRow>(
    `SELECT d.* FROM webhook_dead_letters d JOIN webhooks w ON w.id = d.webhook_id
     WHERE w.instance_id = @instanceId AND (CAST(@webhookId AS TEXT) IS NULL OR d.webhook_id = @webhookId) ORDER BY d.webhook_id, d.seq`
  );
  const forget = db.prepare<[string, number]>('DELETE FROM webhook_dead_letters WHERE webhook_id = ? AND seq >= ?');
  const countLetters = db
    .prepare<[], number>('SELECT COUNT(*) FROM webhook_dead_letters d JOIN webhooks w ON w.id = d.webhook_id WHERE w.enabled = 1')
    .pluck();
  const rewindTo = db.prepare<[number, string]>("UPDATE webhooks SET cursor = ?, attempts = 0, status = 'ok', last_error = NULL WHERE id = ?");

  const giveUp = db.transaction((webhookId: string, letter: Omit<DeadLetterRow, 'webhook_id' | 'failed_at'>) => {
    insertLetter.run({ ...letter, webhook_id: webhookId, failed_at: Date.now() });
    advance.run(letter.seq, letter.last_error, webhookId);
  });
  const rewind = db.transaction((webhookId: string, fromSeq: number) => {
    forget.run(webhookId, fromSeq);
    rewindTo.run(fromSeq - 1, webhookId);
  });

  return {
    create(webhook) {
      insert.run({ global: 0, ...webhook, now: Date.now() });
      return get.get(webhook.id)!;
    },
    get: id => get.get(id),
    listByInstance: instanceId => byInstance.all(instanceId),
    listAll: () => all.all(),
    globalOf: instanceId => globalOf.get(instanceId),
    update(id, patch) {
      const fields = Object.keys(patch) as (keyof typeof patch)[];
      if (!fields.length) return;
      db.prepare(`UPDATE webhooks SET ${fields.map(f => `${f} = @${f}`).join(', ')} WHERE id = @id`).run({ ...patch, id });
    },
    delete: id => remove.run(id).changes > 0,
    pendingEvents: (instanceId, seq, events, limit) => pending.all({ instanceId, seq, events, limit }),
    countPending: (instanceId, seq, events) => count.get({ instanceId, seq, events }) ?? 0,
    acknowledge: (id, seq) => void acknowledge.run(seq, id),
    giveUp,
    deadLetters: (instanceId, webhookId) => lettersOf.all({ instanceId, webhookId: webhookId ?? null }),
    countDeadLetters: () => countLetters.get() ?? 0,
    rewind
  };
}
