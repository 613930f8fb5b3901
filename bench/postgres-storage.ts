/**
 * PostgreSQL storage: what the synchronous bridge costs. A worker thread holds
 * the `pg` connection and the caller blocks on Atomics.wait until it answers
 * (storage/postgres/sync-client.ts), so every statement pays a thread hop on top
 * of the network round trip.
 *
 * - round trip: one primary-key read (`settings.get`) through the bridge, beside
 *   the same query through an ordinary async `pg` client on the same server.
 * - event transaction: one WhatsApp event as the hub stores it (a chat upsert and
 *   an event-log append in one transaction), on PostgreSQL beside SQLite (WAL,
 *   NORMAL) on the local disk.
 *
 * The test server runs with fsync off: these are the costs of the bridge and of
 * the statements, not of a disk.
 *
 *   node --import tsx bench/postgres-storage.ts [reads=5000] [events=2000]
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createStorage, type Storage } from '../storage/index.js';
import { startPostgres } from '../tests/helpers/postgres.js';
import { tempDir } from '../tests/helpers/temp-dir.js';
import { median, report, since } from './figures.js';

const READS = Number(process.argv[2] ?? 5000);
const EVENTS = Number(process.argv[3] ?? 2000);
const ROUNDS = 3;

interface AsyncClient {
  connect(): Promise<void>;
  query(config: { name: string; text: string; values: unknown[] }): Promise<unknown>;
  end(): Promise<void>;
}
const pg = createRequire(import.meta.url)('pg') as { Client: new (config: { connectionString: string }) => AsyncClient };

const server = await startPostgres();
const dir = tempDir('wahub-bench-pg-');
try {
  const onPg = createStorage(await server.createDatabase());
  const onSqlite = createStorage(join(dir.path, 'hub.sqlite'));
  const asyncClient = new pg.Client({ connectionString: server.adminUrl });
  await asyncClient.connect();
  await asyncClient.query({ name: 'warm', text: 'CREATE TABLE IF NOT EXISTS bench_settings (key TEXT PRIMARY KEY, value TEXT)', values: [] });

  const readsBridge = (): number => {
    onPg.settings.set('k', 'v');
    const start = performance.now();
    for (let i = 0; i < READS; i++) onPg.settings.get('k');
    return (since(start) * 1000) / READS;
  };
  const readsAsync = async (): Promise<number> => {
    const start = performance.now();
    for (let i = 0; i < READS; i++) await asyncClient.query({ name: 'read', text: 'SELECT value FROM bench_settings WHERE key = $1', values: ['k'] });
    return (since(start) * 1000) / READS;
  };
  const eventsPerSecond = (storage: Storage): number => {
    const instance = storage.instances.create({ name: `bench-${Math.random()}`, token_hash: 'h', state: 'open' });
    const start = performance.now();
    for (let i = 0; i < EVENTS; i++) {
      storage.transaction(() => {
        storage.chats.upsert(instance.id, { jid: `${i % 50}@s.whatsapp.net`, unreadCount: i });
        storage.events.append(instance.id, 'chats.update', (seq, timestamp) => ({ event: 'chats.update', seq, timestamp, data: { unreadCount: i } }));
      });
    }
    return EVENTS / (since(start) / 1000);
  };

  const bridge: number[] = [];
  const plain: number[] = [];
  const pgEvents: number[] = [];
  const sqliteEvents: number[] = [];
  // Interleaved: the CPU is shared, so each pair is measured at the same moment.
  for (let r = 0; r < ROUNDS; r++) {
    bridge.push(readsBridge());
    plain.push(await readsAsync());
    pgEvents.push(eventsPerSecond(onPg));
    sqliteEvents.push(eventsPerSecond(onSqlite));
  }
  await asyncClient.end();
  onPg.close();
  onSqlite.close();
  report([
    {
      id: 'postgres.roundTrip',
      figure: 'PostgreSQL primary-key read through the synchronous bridge (baseline: async pg client, same server)',
      unit: 'µs',
      wahub: median(bridge),
      baseline: median(plain),
      goal: { ratioAtMost: 2 },
      note: 'the bridge adds a worker-thread hop and an Atomics.wait wake-up to the loopback round trip'
    },
    {
      id: 'postgres.eventTransaction',
      figure: 'one WhatsApp event stored (chat upsert + event-log append, one transaction) on PostgreSQL (baseline: SQLite)',
      unit: 'events/s',
      wahub: median(pgEvents),
      baseline: median(sqliteEvents),
      goal: null,
      note: 'on PostgreSQL each event is seven statements, each a round trip (BEGIN, upsert, SAVEPOINT, seq bump, insert, RELEASE, COMMIT); SQLite writes in process'
    }
  ]);
} finally {
  dir.cleanup();
  await server.stop();
}
