/**
 * What the store's fence costs an event commit (storage/fence.ts): one WhatsApp
 * event as the pipeline stores it (a chat upsert and an event-log append in one
 * `storage.write`), fenced by a lease token as in a cluster, beside the same write
 * unfenced as on a single node. On SQLite and on PostgreSQL, interleaved.
 *
 * The test server runs with fsync off: these are the costs of the statements and
 * of the bridge, not of a disk.
 *
 *   node --import tsx bench/fenced-commit.ts [events=2000]
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createStorage, type Storage } from '../storage/index.js';
import { startPostgres } from '../tests/helpers/postgres.js';
import { tempDir } from '../tests/helpers/temp-dir.js';
import { median, report, since } from './figures.js';

const EVENTS = Number(process.argv[2] ?? 2000);
const ROUNDS = 5;

const server = await startPostgres();
const dir = tempDir('wahub-bench-fence-');
try {
  const location = { pg: await server.createDatabase(), sqlite: join(dir.path, 'hub.sqlite') };
  const sqliteFenced = join(dir.path, 'fenced.sqlite');
  // Per backend a storage as a single node (no fence) and one as a cluster node; on SQLite each on a file of its own,
  // so neither pays for the other connection's writes (cache and WAL re-reads).
  const open = (at: string, fenced: boolean): Storage => {
    const storage = createStorage(at);
    if (fenced) storage.fenceWith(() => 1);
    return storage;
  };
  const stores = {
    pg: { plain: open(location.pg, false), fenced: open(location.pg, true) },
    sqlite: { plain: open(location.sqlite, false), fenced: open(sqliteFenced, true) }
  };
  const eventsPerSecond = (storage: Storage): number => {
    const instance = storage.instances.create({ name: `bench-${Math.random()}`, token_hash: 'h', state: 'open' });
    const start = performance.now();
    for (let i = 0; i < EVENTS; i++) {
      storage.write(instance.id, () => {
        storage.chats.upsert(instance.id, { jid: `${i % 50}@s.whatsapp.net`, unreadCount: i });
        storage.events.append(instance.id, 'chats.update', (seq, timestamp) => ({ event: 'chats.update', seq, timestamp, data: { unreadCount: i } }));
      });
    }
    return EVENTS / (since(start) / 1000);
  };
  const runs = { pg: { plain: [] as number[], fenced: [] as number[] }, sqlite: { plain: [] as number[], fenced: [] as number[] } };
  for (let r = 0; r < ROUNDS; r++) {
    for (const backend of ['pg', 'sqlite'] as const) {
      // Alternating which goes first, so neither always runs on a warmer cache.
      const order = r % 2 ? (['fenced', 'plain'] as const) : (['plain', 'fenced'] as const);
      for (const kind of order) runs[backend][kind].push(eventsPerSecond(stores[backend][kind]));
    }
  }
  for (const backend of Object.values(stores)) for (const s of Object.values(backend)) s.close();
  report([
    {
      id: 'fence.eventCommit.postgres',
      figure: 'one WhatsApp event stored with the fence (one more statement in its transaction) on PostgreSQL (baseline: unfenced, as on a single node)',
      unit: 'events/s',
      wahub: median(runs.pg.fenced),
      baseline: median(runs.pg.plain),
      goal: { ratioAtLeast: 0.75 },
      note: 'the fence statement is one more round trip through the bridge; BEGIN goes out with it'
    },
    {
      id: 'fence.eventCommit.sqlite',
      figure: 'one WhatsApp event stored with the fence on SQLite (baseline: unfenced)',
      unit: 'events/s',
      wahub: median(runs.sqlite.fenced),
      baseline: median(runs.sqlite.plain),
      goal: { ratioAtLeast: 0.75 },
      note: 'one more prepared statement in process'
    }
  ]);
} finally {
  dir.cleanup();
  await server.stop();
}
