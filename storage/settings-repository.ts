import type { Database } from 'better-sqlite3';

/** Hub-wide settings (e.g. the admin key's digest). */
export function settingsRepository(db: Database) {
  const get = db.prepare<[string], string>('SELECT value FROM settings WHERE key = ?').pluck();
  const set = db.prepare<[string, string]>('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  return {
    get: (key: string): string | undefined => get.get(key),
    set: (key: string, value: string): void => void set.run(key, value)
  };
}
export type SettingsRepository = ReturnType<typeof settingsRepository>;
