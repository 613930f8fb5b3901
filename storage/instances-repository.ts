import type { Database } from 'better-sqlite3';

export interface InstanceRow {
  id: string;
  name: string;
  token_hash: string;
  owner: string | null;
  push_name: string | null;
  state: string;
  created_at: number;
}

export function instancesRepository(db: Database) {
  const insert = db.prepare<[string, string, string, string, number]>(
    'INSERT INTO instances (id, name, token_hash, state, created_at) VALUES (?, ?, ?, ?, ?)'
  );
  const byName = db.prepare<[string], InstanceRow>('SELECT * FROM instances WHERE name = ?');
  const all = db.prepare<[], InstanceRow>('SELECT * FROM instances ORDER BY created_at, name');
  const setState = db.prepare<[string, string]>('UPDATE instances SET state = ? WHERE id = ?');
  const setAccount = db.prepare<[string | null, string | null, string]>('UPDATE instances SET owner = ?, push_name = ? WHERE id = ?');
  const remove = db.prepare<[string]>('DELETE FROM instances WHERE id = ?');
  return {
    create(row: Pick<InstanceRow, 'id' | 'name' | 'token_hash' | 'state'>): InstanceRow {
      insert.run(row.id, row.name, row.token_hash, row.state, Date.now());
      return byName.get(row.name)!;
    },
    findByName: (name: string): InstanceRow | undefined => byName.get(name),
    list: (): InstanceRow[] => all.all(),
    updateState: (id: string, state: string): void => void setState.run(state, id),
    updateAccount: (id: string, owner: string | null, pushName: string | null): void => void setAccount.run(owner, pushName, id),
    delete: (id: string): void => void remove.run(id)
  };
}
export type InstancesRepository = ReturnType<typeof instancesRepository>;
