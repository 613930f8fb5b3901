import { PINNED_VERSION, formatVersion } from '../../server/instances/wa-version.js';
import type { WaVersion, WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, startHub, type EventClient, type TestHub } from '../helpers/hub.js';
import { scrape, value } from '../helpers/metrics.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';

const PHONE = '5531990000001';
const OTHER = '5531990000002';
const newer = (n: number): WaVersion => [PINNED_VERSION[0], PINNED_VERSION[1], PINNED_VERSION[2] + n];
let sim: WhatsAppSimulator;
let hub: TestHub;
let token: string;
let io: EventClient;

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE });
  sim.createAccount({ phone: OTHER });
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0' } });
  ({ token, client: io } = await pairInstance(hub, sim, 'drift', PHONE));
});
afterAll(async () => {
  io?.close();
  await hub.close();
  await sim.stop();
});

const state = async () => (await hub.request('GET', '/instance/connectionState/drift', undefined, token)).json;
const closes405 = () => io.of('connection.update').filter(e => e.data.state === 'close' && e.data.statusReason === 405);

test('at boot the hub looks the version up, and instance.state and the metrics show the one the connection uses', async () => {
  expect(sim.versionFetches).toBe(1);
  expect(hub.app.hub.versions.current).toEqual({ version: PINNED_VERSION, source: 'lookup' });
  expect((await state()).waVersion).toBe(formatVersion(PINNED_VERSION));
  const { families } = await scrape(hub.url, { apikey: ADMIN_KEY });
  expect(value(families, 'wahub_wa_version', { version: formatVersion(PINNED_VERSION) })).toBe(1);
});

test('WhatsApp retires the version: the 405 makes the hub look it up again and reconnect once with the fresh one', async () => {
  const fresh = newer(7);
  sim.setVersions(fresh, fresh);
  const fetches = sim.versionFetches;
  sim.kick(PHONE, 'drop');
  await io.waitFor('connection.update', e => e.data.state === 'close' && e.data.statusReason === 405);
  const opened = io.of('connection.update').filter(e => e.data.state === 'open').length;
  await io.waitFor('connection.update', e => e.data.state === 'open' && io.of('connection.update').filter(o => o.data.state === 'open').length > opened, 20_000);
  expect(closes405()).toHaveLength(1);
  expect(sim.versionFetches).toBe(fetches + 1);
  expect((await state())).toMatchObject({ state: 'open', waVersion: formatVersion(fresh) });
  const { families } = await scrape(hub.url, { apikey: ADMIN_KEY });
  expect(value(families, 'wahub_wa_version', { version: formatVersion(fresh) })).toBe(1);
  expect(value(families, 'wahub_wa_version', { version: formatVersion(PINNED_VERSION) })).toBe(0);
  expect(value(families, 'wahub_reconnects_total', { code: '405' })).toBe(1);
});

test('a 405 with no newer version to be found gives up (refused, 405) instead of looping; connect retries once one is published', async () => {
  const fetches = sim.versionFetches;
  // The minimum moves on, but the document still names the version the hub has.
  sim.setVersions(newer(9), newer(7));
  sim.kick(PHONE, 'drop');
  await io.waitFor('connection.update', e => e.data.state === 'refused' && e.data.statusReason === 405, 20_000);
  expect(closes405()).toHaveLength(2);
  expect(sim.versionFetches).toBe(fetches + 1);
  expect(await state()).toMatchObject({ state: 'refused' });

  sim.setVersions(newer(9), newer(9));
  await hub.request('GET', '/instance/connect/drift', undefined, token);
  await waitUntil(() => io.of('connection.update').at(-1)?.data.state === 'open', 20_000);
  expect(await state()).toMatchObject({ state: 'open', waVersion: formatVersion(newer(9)) });
});

test('an unreachable lookup falls back to the pinned version; WA_VERSION overrides both and is never looked up', async () => {
  sim.setVersions(undefined);
  const dead = await startHub(sim, { env: { WA_VERSION_URL: 'http://127.0.0.1:1/sw.js', WA_VERSION_TIMEOUT_MS: '500' } });
  try {
    expect(dead.app.hub.versions.current).toEqual({ version: PINNED_VERSION, source: 'pinned' });
  } finally {
    await dead.close();
  }
  const fetches = sim.versionFetches;
  const forced = await startHub(sim, { env: { WA_VERSION: '2.3000.5' } });
  try {
    expect(forced.app.hub.versions.current).toEqual({ version: [2, 3000, 5], source: 'override' });
    sim.setVersions(newer(0));
    // A new instance announces the forced version; WhatsApp refuses it and the hub does not look for another.
    const created = await forced.request('POST', '/instance/create', { instanceName: 'forced' });
    await forced.request('GET', '/instance/connect/forced', undefined, created.json.token);
    await waitUntil(() => forced.app.hub.registry.get('forced').row.state === 'refused', 10_000);
    expect((await forced.request('GET', '/instance/connectionState/forced', undefined, created.json.token)).json).toMatchObject({ state: 'refused', waVersion: '2.3000.5' });
    expect(sim.versionFetches).toBe(fetches);
  } finally {
    await forced.close();
  }
});

test('with a minimum version in force, a hub announcing a current one pairs as usual', async () => {
  sim.setVersions(newer(3), newer(3));
  const other = await startHub(sim, { env: { WA_VERSION: formatVersion(newer(3)) } });
  try {
    const { client } = await pairInstance(other, sim, 'current', OTHER);
    client.close();
  } finally {
    await other.close();
  }
});
