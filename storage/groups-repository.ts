import type { GroupMetadata } from '@whiskeysockets/baileys';
import type { SqlDatabase } from './sql-database.js';
import type { InstanceId, Jid } from './types.js';

/**
 * Group metadata as Baileys shapes it, per instance and group JID. It is what
 * Baileys' `cachedGroupMetadata` is answered from, so it is kept in Baileys'
 * own form; the contract's shape is made from it at the edge.
 */
export interface GroupsRepository {
  get(instanceId: InstanceId, jid: Jid): GroupMetadata | undefined;
  list(instanceId: InstanceId): GroupMetadata[];
  /** Replaces the group's metadata. */
  put(instanceId: InstanceId, metadata: GroupMetadata): void;
  delete(instanceId: InstanceId, jid: Jid): boolean;
}

export function groupsRepository(db: SqlDatabase): GroupsRepository {
  const get = db.prepare<[string, string], string>('SELECT metadata FROM groups WHERE instance_id = ? AND jid = ?').pluck();
  const list = db.prepare<[string], string>('SELECT metadata FROM groups WHERE instance_id = ? ORDER BY jid').pluck();
  const put = db.prepare<[string, string, string, number]>(
    `INSERT INTO groups (instance_id, jid, metadata, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (instance_id, jid) DO UPDATE SET metadata = excluded.metadata, updated_at = excluded.updated_at`
  );
  const del = db.prepare<[string, string]>('DELETE FROM groups WHERE instance_id = ? AND jid = ?');
  const parse = (json: string | undefined): GroupMetadata | undefined => (json === undefined ? undefined : (JSON.parse(json) as GroupMetadata));
  return {
    get: (instanceId, jid) => parse(get.get(instanceId, jid)),
    list: instanceId => list.all(instanceId).map(json => JSON.parse(json) as GroupMetadata),
    put: (instanceId, metadata) => void put.run(instanceId, metadata.id, JSON.stringify(metadata), Date.now()),
    delete: (instanceId, jid) => del.run(instanceId, jid).changes > 0
  };
}
