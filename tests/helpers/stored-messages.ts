import { join } from 'node:path';
import Database from 'better-sqlite3';

/**
 * Message IDs a hub's data folder holds, read from the SQLite file itself: the messages table and the event log
 * (`events`), and how many `new.message` events name each ID (`announced`).
 */
export function storedMessageIds(dataDir: string): { messages: Set<string>; events: Set<string>; announced: Map<string, number> } {
  const db = new Database(join(dataDir, 'wahub.sqlite'), { readonly: true });
  try {
    const messages = new Set(db.prepare<[], string>('SELECT id FROM messages').pluck().all());
    const events = new Set<string>();
    const announced = new Map<string, number>();
    const rows = db.prepare<[], { event: string; payload: string }>("SELECT event, payload FROM event_log WHERE event IN ('new.message', 'messages.set')").all();
    for (const row of rows) {
      const data = (JSON.parse(row.payload) as { data: unknown }).data;
      for (const { header } of (Array.isArray(data) ? data : [data]) as { header: { messageId: string } }[]) {
        events.add(header.messageId);
        if (row.event === 'new.message') announced.set(header.messageId, (announced.get(header.messageId) ?? 0) + 1);
      }
    }
    return { messages, events, announced };
  } finally {
    db.close();
  }
}
