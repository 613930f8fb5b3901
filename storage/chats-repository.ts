import type { Database } from 'better-sqlite3';

export interface ChatRow {
  jid: string;
  name: string | null;
  unread_count: number | null;
  conversation_timestamp: number | null;
  updated_at: number;
}

/** A partial chat: absent fields keep what is stored. */
export interface ChatPatch {
  jid: string;
  name?: string | null;
  unreadCount?: number | null;
  conversationTimestamp?: number | null;
}

export function chatsRepository(db: Database) {
  const upsert = db.prepare(
    `INSERT INTO chats (instance_id, jid, name, unread_count, conversation_timestamp, updated_at)
     VALUES (@instanceId, @jid, @name, @unreadCount, @conversationTimestamp, @now)
     ON CONFLICT(instance_id, jid) DO UPDATE SET
       name = COALESCE(excluded.name, chats.name),
       unread_count = COALESCE(excluded.unread_count, chats.unread_count),
       conversation_timestamp = COALESCE(excluded.conversation_timestamp, chats.conversation_timestamp),
       updated_at = excluded.updated_at`
  );
  const remove = db.prepare<[string, string]>('DELETE FROM chats WHERE instance_id = ? AND jid = ?');
  const list = db.prepare<[string], ChatRow>(
    'SELECT jid, name, unread_count, conversation_timestamp, updated_at FROM chats WHERE instance_id = ? ORDER BY conversation_timestamp DESC NULLS LAST, jid'
  );
  return {
    upsert(instanceId: string, chat: ChatPatch): void {
      upsert.run({
        instanceId,
        jid: chat.jid,
        name: chat.name ?? null,
        unreadCount: chat.unreadCount ?? null,
        conversationTimestamp: chat.conversationTimestamp ?? null,
        now: Date.now()
      });
    },
    delete: (instanceId: string, jid: string): void => void remove.run(instanceId, jid),
    list: (instanceId: string): ChatRow[] => list.all(instanceId)
  };
}
export type ChatsRepository = ReturnType<typeof chatsRepository>;
