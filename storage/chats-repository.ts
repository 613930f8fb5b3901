import type { SqlDatabase } from './sql-database.js';
import type { InstanceId, Jid } from './types.js';

/** A chat as stored for one instance. */
export interface ChatRow {
  jid: Jid;
  name: string | null;
  unread_count: number | null;
  /** Seconds, as WhatsApp sends it. */
  conversation_timestamp: number | null;
  /** Milliseconds; when the hub last wrote the row. */
  updated_at: number;
}

/** A partial chat, as Baileys' `chats.update` gives it: an absent field keeps what is stored, null clears it. */
export interface ChatPatch {
  jid: Jid;
  name?: string | null;
  unreadCount?: number | null;
  conversationTimestamp?: number | null;
}

export interface ChatsRepository {
  /** Merges the patch into the stored chat (creating it) and answers the chat as it now is. */
  upsert(instanceId: InstanceId, chat: ChatPatch): ChatRow;
  get(instanceId: InstanceId, jid: Jid): ChatRow | undefined;
  /** Most recent conversation first; chats without a timestamp last. */
  list(instanceId: InstanceId): ChatRow[];
  delete(instanceId: InstanceId, jid: Jid): boolean;
}

const COLUMNS = 'jid, name, unread_count, conversation_timestamp, updated_at';

interface UpsertParams {
  instanceId: InstanceId;
  jid: Jid;
  name: string | null;
  hasName: number;
  unreadCount: number | null;
  hasUnreadCount: number;
  conversationTimestamp: number | null;
  hasConversationTimestamp: number;
  now: number;
}

/** SQLite binds no booleans; the `has*` flags tell "absent" (keep) from null (clear). */
const has = (value: unknown): number => (value === undefined ? 0 : 1);

export function chatsRepository(db: SqlDatabase): ChatsRepository {
  const upsert = db.prepare<[UpsertParams], ChatRow>(
    `INSERT INTO chats (instance_id, jid, name, unread_count, conversation_timestamp, updated_at)
     VALUES (@instanceId, @jid, @name, @unreadCount, @conversationTimestamp, @now)
     ON CONFLICT (instance_id, jid) DO UPDATE SET
       name = CASE WHEN @hasName THEN excluded.name ELSE chats.name END,
       unread_count = CASE WHEN @hasUnreadCount THEN excluded.unread_count ELSE chats.unread_count END,
       conversation_timestamp = CASE WHEN @hasConversationTimestamp THEN excluded.conversation_timestamp ELSE chats.conversation_timestamp END,
       updated_at = excluded.updated_at
     RETURNING ${COLUMNS}`
  );
  const get = db.prepare<[InstanceId, Jid], ChatRow>(`SELECT ${COLUMNS} FROM chats WHERE instance_id = ? AND jid = ?`);
  const list = db.prepare<[InstanceId], ChatRow>(
    `SELECT ${COLUMNS} FROM chats WHERE instance_id = ? ORDER BY conversation_timestamp DESC NULLS LAST, jid`
  );
  const remove = db.prepare<[InstanceId, Jid]>('DELETE FROM chats WHERE instance_id = ? AND jid = ?');

  return {
    upsert: (instanceId, chat) =>
      upsert.get({
        instanceId,
        jid: chat.jid,
        name: chat.name ?? null,
        hasName: has(chat.name),
        unreadCount: chat.unreadCount ?? null,
        hasUnreadCount: has(chat.unreadCount),
        conversationTimestamp: chat.conversationTimestamp ?? null,
        hasConversationTimestamp: has(chat.conversationTimestamp),
        now: Date.now()
      })!,
    get: (instanceId, jid) => get.get(instanceId, jid),
    list: instanceId => list.all(instanceId),
    delete: (instanceId, jid) => remove.run(instanceId, jid).changes > 0
  };
}
