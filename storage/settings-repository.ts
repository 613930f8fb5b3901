import type { SqlDatabase } from './sql-database.js';

/** Hub-wide settings, one string per key (e.g. the admin key's digest). */
export interface SettingsRepository {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

export function settingsRepository(db: SqlDatabase): SettingsRepository {
  const get = db.prepare<[string], string>('SELECT value FROM settings WHERE key = ?').pluck();
  const set = db.prepare<[string, string]>('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  return {
    get: key => get.get(key),
    set: (key, value) => void set.run(key, value)
  };
}
