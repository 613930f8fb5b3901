import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import { createStorage, wideModes, type Storage } from '../../storage/index.js';
import { StoreMonitor } from '../health/store-monitor.js';

declare module 'fastify' {
  interface FastifyInstance {
    storage: Storage;
    storeMonitor: StoreMonitor;
  }
}

export interface StorageOptions {
  dataDir: string;
  /** A postgres:// URL: the state lives there instead of in DATA_DIR's SQLite file (media files stay in DATA_DIR). */
  databaseUrl?: string;
  /** On PostgreSQL: how long one statement or a connect may block the process (PG_QUERY_TIMEOUT_MS). */
  queryTimeoutMs?: number;
  allowEmpty: boolean;
  checkIntervalMs: number;
}

/** Left beside the database once it exists, so a later start can tell a lost database from a first start. */
export const HELD_MARKER = 'wahub.sqlite.held';

/** The store (SQLite, or PostgreSQL with DATABASE_URL), opened at registration and closed with the app, and the monitor that says whether it takes writes. */
export default fp(
  async (app, opts: StorageOptions) => {
    const storage = opts.databaseUrl
      ? createStorage(opts.databaseUrl, { timeoutMs: opts.queryTimeoutMs, connectTimeoutMs: opts.queryTimeoutMs })
      : openSqlite(app, opts);
    const monitor = new StoreMonitor(storage.health, app.log as unknown as Logger, opts.checkIntervalMs);
    app.decorate('storage', storage);
    app.decorate('storeMonitor', monitor);
    app.addHook('onReady', async () => monitor.start());
    app.addHook('onClose', async () => {
      monitor.stop();
      storage.close();
    });
  },
  { name: 'storage' }
);

/** DATA_DIR's SQLite file, refused when missing or empty where one was held before. */
function openSqlite(app: FastifyInstance, opts: StorageOptions): Storage {
  const file = join(opts.dataDir, 'wahub.sqlite');
  const marker = join(opts.dataDir, HELD_MARKER);
  const held = existsSync(marker);
  const storage = createStorage(file, { mustHoldData: held && !opts.allowEmpty });
  // Reported, not changed: a wider mode may be the operator's choice (a backup agent's group), but it exposes every account's keys.
  for (const wide of wideModes(opts.dataDir)) app.log.warn({ path: wide.path, mode: wide.mode }, 'data file readable by others than its owner; expected 0700 for folders and 0600 for files');
  if (held && opts.allowEmpty) app.log.warn({ file }, 'ALLOW_EMPTY_DATA is set: a missing or empty database is started afresh');
  if (!held) {
    writeFileSync(
      marker,
      'wahub keeps its database in wahub.sqlite here. While this file exists the hub refuses to start on a\n' +
        'missing or empty database (it would begin without instances, credentials or messages); set\n' +
        'ALLOW_EMPTY_DATA=true to start afresh on purpose.\n'
    );
  }
  return storage;
}
