import type { Database } from 'better-sqlite3';

export interface ContactRow {
  jid: string;
  lid: string | null;
  phone_number: string | null;
  name: string | null;
  notify: string | null;
  profile_picture_url: string | null;
}

/** A partial contact: absent fields keep what is stored. */
export interface ContactPatch {
  jid: string;
  lid?: string | null;
  phoneNumber?: string | null;
  name?: string | null;
  notify?: string | null;
  profilePictureUrl?: string | null;
}

export function contactsRepository(db: Database) {
  const upsert = db.prepare(
    `INSERT INTO contacts (instance_id, jid, lid, phone_number, name, notify, profile_picture_url)
     VALUES (@instanceId, @jid, @lid, @phoneNumber, @name, @notify, @profilePictureUrl)
     ON CONFLICT(instance_id, jid) DO UPDATE SET
       lid = COALESCE(excluded.lid, contacts.lid),
       phone_number = COALESCE(excluded.phone_number, contacts.phone_number),
       name = COALESCE(excluded.name, contacts.name),
       notify = COALESCE(excluded.notify, contacts.notify),
       profile_picture_url = COALESCE(excluded.profile_picture_url, contacts.profile_picture_url)
     RETURNING jid, lid, phone_number, name, notify, profile_picture_url`
  );
  const get = db.prepare<[string, string], ContactRow>(
    'SELECT jid, lid, phone_number, name, notify, profile_picture_url FROM contacts WHERE instance_id = ? AND jid = ?'
  );
  const list = db.prepare<[string], ContactRow>(
    'SELECT jid, lid, phone_number, name, notify, profile_picture_url FROM contacts WHERE instance_id = ? ORDER BY jid'
  );
  return {
    /** Merges and answers the stored contact as it now is. */
    upsert(instanceId: string, c: ContactPatch): ContactRow {
      return upsert.get({
        instanceId,
        jid: c.jid,
        lid: c.lid ?? null,
        phoneNumber: c.phoneNumber ?? null,
        name: c.name ?? null,
        notify: c.notify ?? null,
        profilePictureUrl: c.profilePictureUrl ?? null
      }) as ContactRow;
    },
    get: (instanceId: string, jid: string): ContactRow | undefined => get.get(instanceId, jid),
    list: (instanceId: string): ContactRow[] => list.all(instanceId)
  };
}
export type ContactsRepository = ReturnType<typeof contactsRepository>;
