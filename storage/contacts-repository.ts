import type { SqlDatabase } from './sql-database.js';
import type { InstanceId, Jid } from './types.js';

/** A contact as stored for one instance. */
export interface ContactRow {
  /** The phone-number JID when known, else the LID. */
  jid: Jid;
  lid: Jid | null;
  /** Digits only. */
  phone_number: string | null;
  /** The name in the account's address book. */
  name: string | null;
  /** The name the contact gave themselves (push name). */
  notify: string | null;
  profile_picture_url: string | null;
}

/** A partial contact, as Baileys' `contacts.update` gives it: an absent field keeps what is stored, null clears it. */
export interface ContactPatch {
  jid: Jid;
  lid?: Jid | null;
  phoneNumber?: string | null;
  name?: string | null;
  notify?: string | null;
  profilePictureUrl?: string | null;
}

export interface ContactsRepository {
  /** Merges the patch into the stored contact (creating it) and answers the contact as it now is. */
  upsert(instanceId: InstanceId, contact: ContactPatch): ContactRow;
  get(instanceId: InstanceId, jid: Jid): ContactRow | undefined;
  list(instanceId: InstanceId): ContactRow[];
  delete(instanceId: InstanceId, jid: Jid): boolean;
}

const COLUMNS = 'jid, lid, phone_number, name, notify, profile_picture_url';

interface UpsertParams {
  instanceId: InstanceId;
  jid: Jid;
  lid: Jid | null;
  hasLid: number;
  phoneNumber: string | null;
  hasPhoneNumber: number;
  name: string | null;
  hasName: number;
  notify: string | null;
  hasNotify: number;
  profilePictureUrl: string | null;
  hasProfilePictureUrl: number;
}

/** SQLite binds no booleans; the `has*` flags tell "absent" (keep) from null (clear). */
const has = (value: unknown): number => (value === undefined ? 0 : 1);

export function contactsRepository(db: SqlDatabase): ContactsRepository {
  const upsert = db.prepare<[UpsertParams], ContactRow>(
    `INSERT INTO contacts (instance_id, ${COLUMNS})
     VALUES (@instanceId, @jid, @lid, @phoneNumber, @name, @notify, @profilePictureUrl)
     ON CONFLICT (instance_id, jid) DO UPDATE SET
       lid = CASE WHEN @hasLid THEN excluded.lid ELSE contacts.lid END,
       phone_number = CASE WHEN @hasPhoneNumber THEN excluded.phone_number ELSE contacts.phone_number END,
       name = CASE WHEN @hasName THEN excluded.name ELSE contacts.name END,
       notify = CASE WHEN @hasNotify THEN excluded.notify ELSE contacts.notify END,
       profile_picture_url = CASE WHEN @hasProfilePictureUrl THEN excluded.profile_picture_url ELSE contacts.profile_picture_url END
     RETURNING ${COLUMNS}`
  );
  const get = db.prepare<[InstanceId, Jid], ContactRow>(`SELECT ${COLUMNS} FROM contacts WHERE instance_id = ? AND jid = ?`);
  const list = db.prepare<[InstanceId], ContactRow>(`SELECT ${COLUMNS} FROM contacts WHERE instance_id = ? ORDER BY jid`);
  const remove = db.prepare<[InstanceId, Jid]>('DELETE FROM contacts WHERE instance_id = ? AND jid = ?');

  return {
    upsert: (instanceId, c) =>
      upsert.get({
        instanceId,
        jid: c.jid,
        lid: c.lid ?? null,
        hasLid: has(c.lid),
        phoneNumber: c.phoneNumber ?? null,
        hasPhoneNumber: has(c.phoneNumber),
        name: c.name ?? null,
        hasName: has(c.name),
        notify: c.notify ?? null,
        hasNotify: has(c.notify),
        profilePictureUrl: c.profilePictureUrl ?? null,
        hasProfilePictureUrl: has(c.profilePictureUrl)
      })!,
    get: (instanceId, jid) => get.get(instanceId, jid),
    list: instanceId => list.all(instanceId),
    delete: (instanceId, jid) => remove.run(instanceId, jid).changes > 0
  };
}
