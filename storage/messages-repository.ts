import { BufferJSON, type proto, type WAMessage } from '@whiskeysockets/baileys';
import type { Database } from 'better-sqlite3';

export interface MessageRow {
  chat_jid: string;
  id: string;
  from_me: number;
  participant: string | null;
  push_name: string | null;
  message_type: string;
  content: string;
  status: string | null;
  timestamp: number;
}

export interface StoredMessage {
  chatJid: string;
  id: string;
  fromMe: boolean;
  participant: string | null;
  pushName: string | null;
  messageType: string;
  /** The whole WAMessage as Baileys gave it. */
  message: WAMessage;
  status: string | null;
  /** Seconds. */
  timestamp: number;
}

const toStored = (r: MessageRow): StoredMessage => ({
  chatJid: r.chat_jid,
  id: r.id,
  fromMe: r.from_me === 1,
  participant: r.participant,
  pushName: r.push_name,
  messageType: r.message_type,
  message: JSON.parse(r.content, BufferJSON.reviver),
  status: r.status,
  timestamp: r.timestamp
});

export function messagesRepository(db: Database) {
  const upsert = db.prepare(
    `INSERT INTO messages (instance_id, chat_jid, id, from_me, participant, push_name, message_type, content, status, timestamp)
     VALUES (@instanceId, @chatJid, @id, @fromMe, @participant, @pushName, @messageType, @content, @status, @timestamp)
     ON CONFLICT(instance_id, chat_jid, id, from_me) DO UPDATE SET
       content = excluded.content,
       message_type = excluded.message_type,
       push_name = COALESCE(excluded.push_name, messages.push_name),
       status = COALESCE(excluded.status, messages.status)`
  );
  const setStatus = db.prepare<[string, string, string, string, number]>(
    'UPDATE messages SET status = ? WHERE instance_id = ? AND chat_jid = ? AND id = ? AND from_me = ?'
  );
  const remove = db.prepare<[string, string, string, number]>('DELETE FROM messages WHERE instance_id = ? AND chat_jid = ? AND id = ? AND from_me = ?');
  const clearChat = db.prepare<[string, string]>('DELETE FROM messages WHERE instance_id = ? AND chat_jid = ?');
  const byKey = db.prepare<[string, string, string, number], MessageRow>(
    'SELECT * FROM messages WHERE instance_id = ? AND chat_jid = ? AND id = ? AND from_me = ?'
  );
  const byId = db.prepare<[string, string], MessageRow>('SELECT * FROM messages WHERE instance_id = ? AND id = ? LIMIT 1');
  const page = db.prepare<[string, string, number, number, string, number], MessageRow>(
    `SELECT * FROM messages WHERE instance_id = ? AND chat_jid = ?
       AND (timestamp < ? OR (timestamp = ? AND id < ?))
     ORDER BY timestamp DESC, id DESC LIMIT ?`
  );
  return {
    upsert(instanceId: string, m: Omit<StoredMessage, 'message'> & { message: WAMessage }): void {
      upsert.run({
        instanceId,
        chatJid: m.chatJid,
        id: m.id,
        fromMe: m.fromMe ? 1 : 0,
        participant: m.participant,
        pushName: m.pushName,
        messageType: m.messageType,
        content: JSON.stringify(m.message, BufferJSON.replacer),
        status: m.status,
        timestamp: m.timestamp
      });
    },
    updateStatus: (instanceId: string, chatJid: string, id: string, fromMe: boolean, status: string): boolean =>
      setStatus.run(status, instanceId, chatJid, id, fromMe ? 1 : 0).changes > 0,
    delete: (instanceId: string, chatJid: string, id: string, fromMe: boolean): void => void remove.run(instanceId, chatJid, id, fromMe ? 1 : 0),
    clearChat: (instanceId: string, chatJid: string): void => void clearChat.run(instanceId, chatJid),
    get(instanceId: string, chatJid: string, id: string, fromMe: boolean): StoredMessage | undefined {
      const row = byKey.get(instanceId, chatJid, id, fromMe ? 1 : 0);
      return row && toStored(row);
    },
    /** The content Baileys asks for when it must re-send a message (`getMessage`). */
    content(instanceId: string, id: string): proto.IMessage | undefined {
      const row = byId.get(instanceId, id);
      return row ? (toStored(row).message.message ?? undefined) : undefined;
    },
    /** A chat's messages, newest first, before the cursor `{timestamp, id}` of the last one seen. */
    page(instanceId: string, chatJid: string, limit: number, before?: { timestamp: number; id: string }): StoredMessage[] {
      const ts = before?.timestamp ?? Number.MAX_SAFE_INTEGER;
      return page.all(instanceId, chatJid, ts, ts, before?.id ?? '\uffff', limit).map(toStored);
    }
  };
}
export type MessagesRepository = ReturnType<typeof messagesRepository>;
