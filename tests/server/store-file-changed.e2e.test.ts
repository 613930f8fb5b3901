import { copyFileSync, renameSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { startSimulator } from '../helpers/simulator.js';

let sim: WhatsAppSimulator;
let hub: TestHub;

beforeAll(async () => {
  sim = await startSimulator();
  hub = await startHub(sim, { env: { STORE_CHECK_INTERVAL_MS: '100' } });
});
afterAll(async () => {
  await hub.close();
  await sim.stop();
});

test('the database file replaced under the running hub: /ready fails, and connecting an instance is refused with 503', async () => {
  expect((await hub.request('POST', '/instance/create', { instanceName: 'swapped' })).status).toBe(201);
  expect((await fetch(`${hub.url}/ready`)).status).toBe(200);

  // Another file now sits at the path (a restore from backup, say): the open connection still writes to the old one.
  const file = join(hub.dataDir, 'wahub.sqlite');
  copyFileSync(file, `${file}.copy`);
  renameSync(`${file}.copy`, file);

  let ready: { status: number; json: Record<string, any> } = { status: 0, json: {} };
  for (let i = 0; i < 50 && ready.status !== 503; i++) {
    const res = await fetch(`${hub.url}/ready`);
    ready = { status: res.status, json: (await res.json()) as Record<string, any> };
    if (ready.status !== 503) await new Promise(r => setTimeout(r, 100));
  }
  expect(ready).toMatchObject({ status: 503, json: { status: 503, error: 'Service Unavailable', checks: { store: 'the database file was replaced' } } });

  const refused = { status: 503, error: 'Service Unavailable', message: 'the store cannot be written (the database file was replaced); instances stay closed until it can' };
  expect(await hub.request('GET', '/instance/connect/swapped')).toEqual({ status: 503, json: refused });
  expect(await hub.request('PUT', '/instance/restart/swapped')).toEqual({ status: 503, json: refused });
  expect((await hub.request('GET', '/instance/connectionState/swapped')).json).toMatchObject({ state: 'close' });
});

test('the database file truncated under the running hub: /ready fails with the reason', async () => {
  const other = await startHub(sim, { env: { STORE_CHECK_INTERVAL_MS: '100' } });
  try {
    expect((await other.request('POST', '/instance/create', { instanceName: 'cut' })).status).toBe(201);
    expect((await fetch(`${other.url}/ready`)).status).toBe(200);
    truncateSync(join(other.dataDir, 'wahub.sqlite'), 0);
    const res = await fetch(`${other.url}/ready`);
    expect({ status: res.status, json: await res.json() }).toMatchObject({ status: 503, json: { checks: { store: 'the database file was truncated' } } });
  } finally {
    await other.close();
  }
});
