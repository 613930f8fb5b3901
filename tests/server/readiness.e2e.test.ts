import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, hubClient } from '../helpers/hub.js';
import { spawnHub, type Spawned } from '../helpers/processes.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';
import { tempDir } from '../helpers/temp-dir.js';

let sim: WhatsAppSimulator;
let dir: ReturnType<typeof tempDir>;
let hub: Spawned | undefined;

beforeAll(async () => {
  sim = await startSimulator();
  dir = tempDir('wahub-ready-');
});
afterAll(async () => {
  await hub?.stop('SIGKILL');
  await sim.stop();
  dir.cleanup();
});

const ready = async (url: string) => {
  const res = await fetch(`${url}/ready`);
  return { status: res.status, json: (await res.json()) as Record<string, any> };
};

test('the database removed while the hub runs: /ready fails, an error is logged; the next start refuses to begin empty', async () => {
  hub = await spawnHub(dir.path, sim, ADMIN_KEY, { STORE_CHECK_INTERVAL_MS: '200' });
  const url = hub.vars.WAHUB_URL!;
  expect(await ready(url)).toEqual({ status: 200, json: { status: 'ready', checks: { store: 'ok', migrations: 'ok', sessions: 'ok' } } });
  expect((await hubClient(url).request('POST', '/instance/create', { instanceName: 'kept' })).status).toBe(201);

  for (const suffix of ['', '-wal', '-shm']) rmSync(join(dir.path, `wahub.sqlite${suffix}`), { force: true });
  // Noticed by the periodic check alone, with no request touching the store.
  await waitUntil(() => hub!.logs().some(l => l.level === 50 && l.reason === 'the database file was removed'), 10_000);
  const after = await ready(url);
  expect(after.status).toBe(503);
  expect(after.json).toMatchObject({ status: 503, error: 'Service Unavailable', checks: { store: 'the database file was removed' } });
  expect(after.json.message).toMatch(/store: the database file was removed/);
  expect((await fetch(`${url}/health`)).status).toBe(200); // liveness is unchanged
  await hub.stop('SIGTERM');
  hub = undefined;

  await expect(spawnHub(dir.path, sim, ADMIN_KEY)).rejects.toThrow(/exited with 3: wahub: refusing to start: .*wahub\.sqlite is missing.*ALLOW_EMPTY_DATA=true/s);

  hub = await spawnHub(dir.path, sim, ADMIN_KEY, { ALLOW_EMPTY_DATA: 'true' });
  const fresh = hubClient(hub.vars.WAHUB_URL!);
  expect((await fresh.request('GET', '/instance/fetchInstances')).json).toEqual([]);
  expect((await ready(fresh.url)).status).toBe(200);
});

test('a database file replaced by an empty one is refused at start', async () => {
  await hub?.stop('SIGTERM');
  hub = undefined;
  rmSync(join(dir.path, 'wahub.sqlite-wal'), { force: true });
  rmSync(join(dir.path, 'wahub.sqlite-shm'), { force: true });
  writeFileSync(join(dir.path, 'wahub.sqlite'), '');
  await expect(spawnHub(dir.path, sim, ADMIN_KEY)).rejects.toThrow(/exited with 3: wahub: refusing to start: .*wahub\.sqlite is empty/s);
});
