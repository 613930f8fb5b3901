import { randomUUID } from 'node:crypto';
import type { SqlDatabase } from './sql-database.js';
import type { InstanceId, Jid } from './types.js';

/** An instance as stored. `state` is the hub's own lifecycle state; its vocabulary belongs to the server. */
export interface InstanceRow {
  id: InstanceId;
  name: string;
  /** Digest of the instance's token; the token itself is never stored. */
  token_hash: string;
  /** The paired account's JID; null until an account is known. */
  owner: Jid | null;
  push_name: string | null;
  state: string;
  /** Milliseconds since the epoch. */
  created_at: number;
}

/** What creating an instance takes; the id is a fresh UUID unless given. */
export interface NewInstance {
  id?: InstanceId;
  name: string;
  token_hash: string;
  state: string;
  owner?: Jid | null;
  push_name?: string | null;
}

/** The instances table. Updates and delete answer whether the instance existed. */
export interface InstancesRepository {
  /** Throws when the name is taken (code SQLITE_CONSTRAINT_UNIQUE, or PostgreSQL's 23505). */
  create(instance: NewInstance): InstanceRow;
  findById(id: InstanceId): InstanceRow | undefined;
  findByName(name: string): InstanceRow | undefined;
  /** Oldest first. */
  list(): InstanceRow[];
  updateState(id: InstanceId, state: string): boolean;
  updateOwner(id: InstanceId, owner: Jid | null): boolean;
  updatePushName(id: InstanceId, pushName: string | null): boolean;
  /** Owner and push name at once, as they arrive together when a connection opens. */
  updateAccount(id: InstanceId, owner: Jid | null, pushName: string | null): boolean;
  /** Removes the instance and, by cascade, everything stored for it (auth, chats, contacts, messages, event log). */
  delete(id: InstanceId): boolean;
}

const COLUMNS = 'id, name, token_hash, owner, push_name, state, created_at';

export function instancesRepository(db: SqlDatabase): InstancesRepository {
  const insert = db.prepare<[InstanceRow], InstanceRow>(
    `INSERT INTO instances (${COLUMNS}) VALUES (@id, @name, @token_hash, @owner, @push_name, @state, @created_at) RETURNING ${COLUMNS}`
  );
  const byId = db.prepare<[InstanceId], InstanceRow>(`SELECT ${COLUMNS} FROM instances WHERE id = ?`);
  const byName = db.prepare<[string], InstanceRow>(`SELECT ${COLUMNS} FROM instances WHERE name = ?`);
  // rowid breaks ties: instances created within one millisecond still list in creation order.
  const all = db.prepare<[], InstanceRow>(`SELECT ${COLUMNS} FROM instances ORDER BY created_at, rowid`);
  const setState = db.prepare<[string, InstanceId]>('UPDATE instances SET state = ? WHERE id = ?');
  const setOwner = db.prepare<[Jid | null, InstanceId]>('UPDATE instances SET owner = ? WHERE id = ?');
  const setPushName = db.prepare<[string | null, InstanceId]>('UPDATE instances SET push_name = ? WHERE id = ?');
  const setAccount = db.prepare<[Jid | null, string | null, InstanceId]>('UPDATE instances SET owner = ?, push_name = ? WHERE id = ?');
  const remove = db.prepare<[InstanceId]>('DELETE FROM instances WHERE id = ?');

  return {
    create: instance =>
      insert.get({
        id: instance.id ?? randomUUID(),
        name: instance.name,
        token_hash: instance.token_hash,
        owner: instance.owner ?? null,
        push_name: instance.push_name ?? null,
        state: instance.state,
        created_at: Date.now()
      })!,
    findById: id => byId.get(id),
    findByName: name => byName.get(name),
    list: () => all.all(),
    updateState: (id, state) => setState.run(state, id).changes > 0,
    updateOwner: (id, owner) => setOwner.run(owner, id).changes > 0,
    updatePushName: (id, pushName) => setPushName.run(pushName, id).changes > 0,
    updateAccount: (id, owner, pushName) => setAccount.run(owner, pushName, id).changes > 0,
    delete: id => remove.run(id).changes > 0
  };
}
