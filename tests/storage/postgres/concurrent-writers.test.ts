import { eventLog } from '../../../storage/event-log.js';
import { appliedMigrations, MIGRATIONS } from '../../../storage/migrations.js';
import { openPostgres } from '../../../storage/database.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { spawnTs, type Spawned } from '../../helpers/processes.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => server.stop());

test('three processes migrating one empty database and appending to one instance: schema applied once, seqs gap-free per batch and overall', async () => {
  const url = await server.createDatabase();
  const writers: Spawned[] = await Promise.all(
    [1, 2, 3].map(() => spawnTs('tests/storage/postgres/event-writer.ts', { POSTGRES_URL: url, BATCHES: '40' }, 'BATCHES_SEQS', 60_000))
  );
  const batches = writers.flatMap(w => JSON.parse(w.vars.BATCHES_SEQS!) as number[][]);
  await Promise.all(writers.map(w => w.stop()));

  // Each transaction's three events are consecutive: no other writer's event fell between them.
  for (const batch of batches) expect(batch).toEqual([batch[0], batch[0]! + 1, batch[0]! + 2]);
  const all = batches.flat().sort((a, b) => a - b);
  expect(all).toEqual(Array.from({ length: 3 * 40 * 3 }, (_, i) => i + 1));

  const db = openPostgres(url);
  try {
    expect(appliedMigrations(db).map(m => m.version)).toEqual(MIGRATIONS.map(m => m.version));
    expect(eventLog(db).after('shared', 0, 1000).map(e => e.seq)).toEqual(all);
  } finally {
    db.close();
  }
}, 120_000);
