import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, hubClient } from '../helpers/hub.js';
import { spawnHub, type Spawned } from '../helpers/processes.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startSimulator } from '../helpers/simulator.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';

const TIMEOUT_MS = 1500;

// A server of this file's own: freezing it must not stall any other test's database.
let pg: TestPostgres;
let sim: WhatsAppSimulator;
let dir: ReturnType<typeof tempDir>;
let hub: Spawned | undefined;
let frozen: number[] = [];

/** The postmaster and every backend it forked: a frozen postmaster alone would leave the hub's session answering. */
function serverPids(): number[] {
  const root = pg.child.pid!;
  const children = spawnSync('pgrep', ['-P', String(root)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
  return [root, ...children];
}
const signal = (pids: number[], sig: NodeJS.Signals) => pids.forEach(pid => process.kill(pid, sig));

beforeAll(async () => {
  pg = await startPostgres();
  sim = await startSimulator();
  dir = tempDir('wahub-pg-stall-');
}, 60_000);
afterAll(async () => {
  signal(frozen, 'SIGCONT');
  await hub?.stop('SIGKILL');
  await sim?.stop();
  await pg?.stop();
  dir?.cleanup();
});

test('a stalled PostgreSQL (SIGSTOP): a command fails with a clear error within PG_QUERY_TIMEOUT_MS, the hub stays up, and works again after SIGCONT', async () => {
  hub = await spawnHub(dir.path, sim, ADMIN_KEY, {
    DATABASE_URL: await pg.createDatabase(),
    PG_QUERY_TIMEOUT_MS: String(TIMEOUT_MS),
    // The store probe would block on the frozen server as well; this test times one command alone.
    STORE_CHECK_INTERVAL_MS: '600000',
    RATE_LIMIT_PER_SECOND: '0'
  });
  const api = hubClient(hub.vars.WAHUB_URL!);
  expect((await api.request('POST', '/instance/create', { instanceName: 'before' })).status).toBe(201);

  frozen = serverPids();
  signal(frozen, 'SIGSTOP');
  const started = performance.now();
  const refused = await api.request('POST', '/instance/create', { instanceName: 'during' });
  const took = performance.now() - started;
  expect(refused.status).toBeGreaterThanOrEqual(500);
  expect(refused.json).toMatchObject({ status: refused.status, error: expect.any(String), message: expect.any(String) });
  // About the configured time (the default bridge waited 30 s): the timeout itself plus the request's own work.
  expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
  expect(took).toBeLessThan(TIMEOUT_MS + 2000);
  expect(hub.child.exitCode).toBeNull();

  signal(frozen, 'SIGCONT');
  frozen = [];
  const after = await until('a write to go through again', async () => {
    const res = await api.request('POST', '/instance/create', { instanceName: 'after' });
    return res.status === 201 || res.json.error === 'HUB_INSTANCE_EXISTS' ? res : undefined;
  }, 30_000, 250);
  expect([201, 409]).toContain(after.status);
  const names = ((await api.request('GET', '/instance/fetchInstances')).json as { name?: string; instance?: { instanceName?: string } }[]).map(i => JSON.stringify(i));
  expect(names.some(n => n.includes('"before"'))).toBe(true);
  expect(names.some(n => n.includes('"after"'))).toBe(true);
  expect(hub.child.exitCode).toBeNull();
}, 120_000);
