import type { SqlDatabase } from './sql-database.js';
import type { InstanceId } from './types.js';

/**
 * Each instance's settings as one JSON object. The store keeps what it is given;
 * which fields exist and what they mean is the protocol's (protocol/settings.ts).
 */
export interface InstanceSettingsRepository {
  /** The stored object, or undefined for an instance that never had its settings set. */
  get(id: InstanceId): Record<string, unknown> | undefined;
  /** Replaces the whole object. */
  set(id: InstanceId, settings: Record<string, unknown>): void;
}

export function instanceSettingsRepository(db: SqlDatabase): InstanceSettingsRepository {
  const get = db.prepare<[InstanceId], string>('SELECT settings FROM instance_settings WHERE instance_id = ?').pluck();
  const set = db.prepare<[InstanceId, string, number]>(
    'INSERT INTO instance_settings (instance_id, settings, updated_at) VALUES (?, ?, ?) ON CONFLICT (instance_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at'
  );
  return {
    get: id => {
      const raw = get.get(id);
      return raw === undefined ? undefined : (JSON.parse(raw) as Record<string, unknown>);
    },
    set: (id, settings) => void set.run(id, JSON.stringify(settings), Date.now())
  };
}
