import { BufferJSON, proto, type WAMessage, type WAMessageKey } from '@whiskeysockets/baileys';
import type { SqlDatabase } from './sql-database.js';
import type { InstanceId, Jid, MessageId } from './types.js';

/** A message row as SQLite holds it. */
export interface MessageRow {
  chat_jid: Jid;
  id: MessageId;
  from_me: 0 | 1;
  participant: Jid | null;
  push_name: string | null;
  message_type: string;
  /** The whole WAMessage, serialised with BufferJSON. */
  content: string;
  status: string | null;
  timestamp: number;
}

/** A message as the hub reads and writes it. */
export interface StoredMessage {
  chatJid: Jid;
  id: MessageId;
  fromMe: boolean;
  /** The sender in a group. */
  participant: Jid | null;
  pushName: string | null;
  messageType: string;
  /** The whole WAMessage as Baileys gave it; Buffers survive the round trip. */
  message: WAMessage;
  /** The status name (`SERVER_ACK`, `READ`, ...). */
  status: string | null;
  /** Seconds, as WhatsApp sends it. */
  timestamp: number;
}

/** Where a page starts: the last message of the previous page. */
export interface MessageCursor {
  timestamp: number;
  id: MessageId;
  fromMe: boolean;
}

export interface MessagePage {
  messages: StoredMessage[];
  /** The cursor for the next (older) page; null when this page reached the oldest message. */
  next: MessageCursor | null;
}

export interface MessagesRepository {
  /**
   * Stores the message, or replaces the stored one with the same key. A null
   * push name or status keeps the stored one: a re-delivered copy (history sync,
   * `append`) must not wipe a status that already arrived.
   */
  upsert(instanceId: InstanceId, message: StoredMessage): void;
  updateStatus(instanceId: InstanceId, chatJid: Jid, id: MessageId, fromMe: boolean, status: string): boolean;
  delete(instanceId: InstanceId, chatJid: Jid, id: MessageId, fromMe: boolean): boolean;
  /** Removes every message of a chat; answers how many. */
  clearChat(instanceId: InstanceId, chatJid: Jid): number;
  get(instanceId: InstanceId, chatJid: Jid, id: MessageId, fromMe: boolean): StoredMessage | undefined;
  /**
   * Baileys' `getMessage`: the content of a message it must re-send or decrypt
   * against, rebuilt as a protobuf object. The key's chat may be the LID form of
   * the phone-number JID the message was stored under, so a miss on the exact key
   * falls back to the message id (and direction, when the key gives one).
   */
  getMessage(instanceId: InstanceId, key: WAMessageKey): proto.IMessage | undefined;
  /** @deprecated use `getMessage(instanceId, key)`, which also matches the chat and direction. */
  content(instanceId: InstanceId, id: MessageId): proto.IMessage | undefined;
  /** A chat's messages, newest first, older than `before` when given. */
  page(instanceId: InstanceId, chatJid: Jid, options: { limit: number; before?: MessageCursor }): MessagePage;
}

const COLUMNS = 'chat_jid, id, from_me, participant, push_name, message_type, content, status, timestamp';
/** The order of the paging index (migration 2): every message has one place in it. */
const NEWEST_FIRST = 'ORDER BY timestamp DESC, id DESC, from_me DESC';

interface KeyParams {
  instanceId: InstanceId;
  chatJid: Jid;
  id: MessageId;
  fromMe: 0 | 1;
}

const bit = (b: boolean): 0 | 1 => (b ? 1 : 0);

function toStored(row: MessageRow): StoredMessage {
  return {
    chatJid: row.chat_jid,
    id: row.id,
    fromMe: row.from_me === 1,
    participant: row.participant,
    pushName: row.push_name,
    messageType: row.message_type,
    message: JSON.parse(row.content, BufferJSON.reviver) as WAMessage,
    status: row.status,
    timestamp: row.timestamp
  };
}

export function messagesRepository(db: SqlDatabase): MessagesRepository {
  const upsert = db.prepare<[MessageRow & { instance_id: InstanceId }]>(
    `INSERT INTO messages (instance_id, ${COLUMNS})
     VALUES (@instance_id, @chat_jid, @id, @from_me, @participant, @push_name, @message_type, @content, @status, @timestamp)
     ON CONFLICT (instance_id, chat_jid, id, from_me) DO UPDATE SET
       participant = COALESCE(excluded.participant, messages.participant),
       push_name = COALESCE(excluded.push_name, messages.push_name),
       message_type = excluded.message_type,
       content = excluded.content,
       status = COALESCE(excluded.status, messages.status),
       timestamp = excluded.timestamp`
  );
  const keyWhere = 'instance_id = @instanceId AND chat_jid = @chatJid AND id = @id AND from_me = @fromMe';
  const setStatus = db.prepare<[KeyParams & { status: string }]>(`UPDATE messages SET status = @status WHERE ${keyWhere}`);
  const remove = db.prepare<[KeyParams]>(`DELETE FROM messages WHERE ${keyWhere}`);
  const clearChat = db.prepare<[InstanceId, Jid]>('DELETE FROM messages WHERE instance_id = ? AND chat_jid = ?');
  const byKey = db.prepare<[KeyParams], MessageRow>(`SELECT ${COLUMNS} FROM messages WHERE ${keyWhere}`);
  const byId = db.prepare<[{ instanceId: InstanceId; id: MessageId; fromMe: 0 | 1 | null }], MessageRow>(
    `SELECT ${COLUMNS} FROM messages WHERE instance_id = @instanceId AND id = @id AND (CAST(@fromMe AS BIGINT) IS NULL OR from_me = @fromMe) LIMIT 1`
  );
  const newest = db.prepare<[InstanceId, Jid, number], MessageRow>(
    `SELECT ${COLUMNS} FROM messages WHERE instance_id = ? AND chat_jid = ? ${NEWEST_FIRST} LIMIT ?`
  );
  // A row-value comparison in the index's order, so the cursor is one range seek.
  const older = db.prepare<[InstanceId, Jid, number, MessageId, 0 | 1, number], MessageRow>(
    `SELECT ${COLUMNS} FROM messages WHERE instance_id = ? AND chat_jid = ? AND (timestamp, id, from_me) < (?, ?, ?) ${NEWEST_FIRST} LIMIT ?`
  );

  const getMessage = (instanceId: InstanceId, key: WAMessageKey): proto.IMessage | undefined => {
    if (!key.id) return undefined;
    const fromMe = key.fromMe == null ? null : bit(key.fromMe);
    const exact =
      key.remoteJid && fromMe !== null ? byKey.get({ instanceId, chatJid: key.remoteJid, id: key.id, fromMe }) : undefined;
    const row = exact ?? byId.get({ instanceId, id: key.id, fromMe });
    const content = row && toStored(row).message.message;
    // fromObject turns the JSON form back into a protobuf message (Longs, enums), ready for Baileys to encode.
    return content ? proto.Message.fromObject(content) : undefined;
  };

  return {
    upsert: (instanceId, m) =>
      void upsert.run({
        instance_id: instanceId,
        chat_jid: m.chatJid,
        id: m.id,
        from_me: bit(m.fromMe),
        participant: m.participant,
        push_name: m.pushName,
        message_type: m.messageType,
        content: JSON.stringify(m.message, BufferJSON.replacer),
        status: m.status,
        timestamp: m.timestamp
      }),
    updateStatus: (instanceId, chatJid, id, fromMe, status) => setStatus.run({ instanceId, chatJid, id, fromMe: bit(fromMe), status }).changes > 0,
    delete: (instanceId, chatJid, id, fromMe) => remove.run({ instanceId, chatJid, id, fromMe: bit(fromMe) }).changes > 0,
    clearChat: (instanceId, chatJid) => clearChat.run(instanceId, chatJid).changes,
    get: (instanceId, chatJid, id, fromMe) => {
      const row = byKey.get({ instanceId, chatJid, id, fromMe: bit(fromMe) });
      return row && toStored(row);
    },
    getMessage,
    content: (instanceId, id) => getMessage(instanceId, { id }),
    page: (instanceId, chatJid, { limit, before }) => {
      if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`page limit must be a positive integer, got ${limit}`);
      // One row more than asked tells whether an older page exists.
      const rows = before
        ? older.all(instanceId, chatJid, before.timestamp, before.id, bit(before.fromMe), limit + 1)
        : newest.all(instanceId, chatJid, limit + 1);
      const messages = rows.slice(0, limit).map(toStored);
      const last = messages.at(-1);
      return {
        messages,
        next: rows.length > limit && last ? { timestamp: last.timestamp, id: last.id, fromMe: last.fromMe } : null
      };
    }
  };
}
