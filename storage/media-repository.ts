import type { SqlDatabase } from './sql-database.js';
import type { InstanceId, Jid, MessageId } from './types.js';

/** A media message as the hub keeps track of it; the bytes are in the media store under `sha256`. */
export interface MediaRow {
  instance_id: InstanceId;
  message_id: MessageId;
  chat_jid: Jid;
  from_me: 0 | 1;
  /** image, video, audio, document or sticker. */
  media_type: string;
  mimetype: string;
  file_length: number;
  /** Hex SHA-256 of the plaintext, as the message states it. */
  sha256: string;
  /** Milliseconds. */
  created_at: number;
  /** Milliseconds; null until the bytes with that digest are on disk. */
  stored_at: number | null;
}

export type NewMedia = Omit<MediaRow, 'created_at' | 'stored_at'> & { stored: boolean };

export interface MediaRepository {
  /** Records a media message; a repeat of the same message keeps what is already known. */
  register(row: NewMedia): void;
  get(instanceId: InstanceId, messageId: MessageId): MediaRow | undefined;
  markStored(instanceId: InstanceId, messageId: MessageId): void;
  /** Whether any message names this digest. */
  names(sha256: string): boolean;
  /** A deleted message's row goes; answers its digest when no remaining row names it (its file may go too). */
  forget(instanceId: InstanceId, messageId: MessageId): string | undefined;
  /** Every row of a cleared or deleted chat goes; answers the digests no remaining row names. */
  forgetChat(instanceId: InstanceId, chatJid: Jid): string[];
  /** Rows older than `before` (ms) go; answers the digests no remaining row names, whose files may go too. */
  pruneBefore(before: number): string[];
}

export function mediaRepository(db: SqlDatabase): MediaRepository {
  const insert = db.prepare<[string, string, string, number, string, string, number, string, number, number | null]>(
    `INSERT INTO media (instance_id, message_id, chat_jid, from_me, media_type, mimetype, file_length, sha256, created_at, stored_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (instance_id, message_id) DO UPDATE SET stored_at = COALESCE(media.stored_at, excluded.stored_at)`
  );
  const get = db.prepare<[string, string], MediaRow>('SELECT * FROM media WHERE instance_id = ? AND message_id = ?');
  const stored = db.prepare<[number, string, string]>('UPDATE media SET stored_at = ? WHERE instance_id = ? AND message_id = ? AND stored_at IS NULL');
  const old = db.prepare<[number], string>('SELECT DISTINCT sha256 FROM media WHERE created_at < ?').pluck();
  const drop = db.prepare<[number]>('DELETE FROM media WHERE created_at < ?');
  const named = db.prepare<[string], number>('SELECT 1 FROM media WHERE sha256 = ? LIMIT 1').pluck();
  const dropOne = db.prepare<[string, string]>('DELETE FROM media WHERE instance_id = ? AND message_id = ?');
  const ofChat = db.prepare<[string, string], string>('SELECT DISTINCT sha256 FROM media WHERE instance_id = ? AND chat_jid = ?').pluck();
  const dropChat = db.prepare<[string, string]>('DELETE FROM media WHERE instance_id = ? AND chat_jid = ?');
  return {
    forget: db.transaction((instanceId: string, messageId: string) => {
      const row = get.get(instanceId, messageId);
      if (!row) return undefined;
      dropOne.run(instanceId, messageId);
      return named.get(row.sha256) ? undefined : row.sha256;
    }),
    forgetChat: db.transaction((instanceId: string, chatJid: string) => {
      const digests = ofChat.all(instanceId, chatJid);
      dropChat.run(instanceId, chatJid);
      return digests.filter(d => !named.get(d));
    }),
    register: r => {
      const now = Date.now();
      insert.run(r.instance_id, r.message_id, r.chat_jid, r.from_me, r.media_type, r.mimetype, r.file_length, r.sha256, now, r.stored ? now : null);
    },
    get: (instanceId, messageId) => get.get(instanceId, messageId),
    markStored: (instanceId, messageId) => void stored.run(Date.now(), instanceId, messageId),
    names: sha256 => !!named.get(sha256),
    pruneBefore: db.transaction((before: number) => {
      const digests = old.all(before);
      drop.run(before);
      return digests.filter(d => !named.get(d));
    })
  };
}
