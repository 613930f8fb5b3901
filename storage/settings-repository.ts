import type { SqlDatabase } from './sql-database.js';

/** Hub-wide settings, one string per key (e.g. the admin key's digest). */
export interface SettingsRepository {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
  /** Stores `value` unless the key has one already, and answers the value kept: nodes booting at once on one store agree on one. */
  setIfAbsent(key: string, value: string): string;
}

export function settingsRepository(db: SqlDatabase): SettingsRepository {
  const get = db.prepare<[string], string>('SELECT value FROM settings WHERE key = ?').pluck();
  const set = db.prepare<[string, string]>('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  const insert = db.prepare<[string, string]>('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING');
  return {
    get: key => get.get(key),
    set: (key, value) => void set.run(key, value),
    setIfAbsent: (key, value) => {
      insert.run(key, value);
      return get.get(key) ?? value;
    }
  };
}
