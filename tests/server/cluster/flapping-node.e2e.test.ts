import type { WhatsAppSimulator } from '../../../simulator/simulator.js';
import { ownerOf } from '../../../server/cluster/placement.js';
import { ADMIN_KEY, EventClient, hubClient } from '../../helpers/hub.js';
import { clusterStatus, holdersOf, untilEveryNodeSeesAll } from '../../helpers/cluster.js';
import { spawnHub, type Spawned } from '../../helpers/processes.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startSimulator } from '../../helpers/simulator.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { until } from '../../helpers/until.js';

const PHONE = '5541983000001';
const CONTACT = '5541983000002';
const SETTLE_MS = 8000;
let redis: TestRedis;
let sim: WhatsAppSimulator;
let dir: ReturnType<typeof tempDir>;
const hubs = new Map<string, Spawned>();
const closers: (() => void)[] = [];
const nodeEnv = (node: string) => ({ REDIS_URL: redis.url, NODE_ID: node, LEASE_TTL_MS: '3000', CLUSTER_SETTLE_MS: String(SETTLE_MS), RATE_LIMIT_PER_SECOND: '0' });
const urlOf = (node: string) => hubs.get(node)!.vars.WAHUB_URL!;

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT, pushName: 'Ivo' }], history: { chats: [] } });
  dir = tempDir('wahub-flapping-');
  for (const node of ['node-a', 'node-b']) hubs.set(node, await spawnHub(dir.path, sim, ADMIN_KEY, nodeEnv(node)));
});
afterAll(async () => {
  closers.forEach(close => close());
  for (const hub of hubs.values()) await hub.stop('SIGKILL');
  await sim?.stop();
  await redis?.stop();
  dir?.cleanup();
});

test('a third node that joins and is killed before it settles takes nothing: the running instance is never closed', async () => {
  await untilEveryNodeSeesAll(hubs);
  const created = await hubClient(urlOf('node-a')).request('POST', '/instance/create', { instanceName: 'steady' });
  const token = created.json.token as string;
  const [owner] = await until('a node to hold the instance', async () => {
    const holders = await holdersOf(hubs, 'steady');
    return holders.length === 1 ? holders : undefined;
  });
  const other = [...hubs.keys()].find(n => n !== owner)!;
  const client = new EventClient(urlOf(other), token);
  closers.push(() => client.close());
  await client.connected();
  expect(await client.emit('subscribe', { instance: 'steady' })).toMatchObject({ ok: true });
  await hubClient(urlOf(owner!)).request('GET', '/instance/connect/steady', undefined, token);
  await sim.scan(PHONE, (await client.waitFor('qrcode.updated')).data.qrcode.code);
  const opened = await client.waitFor('connection.update', e => e.data.state === 'open');

  // The third node's id is one the instance hashes to: had it settled, the instance would have moved to it.
  const id = (await clusterStatus(hubs.get(owner!)!)).held.find(h => h.name === 'steady')! as { name: string; id: string };
  const third = Array.from({ length: 50 }, (_, i) => `node-c${i}`).find(c => ownerOf(id.id, ['node-a', 'node-b', c]) === c)!;
  const started = Date.now();
  const flapping = await spawnHub(dir.path, sim, ADMIN_KEY, nodeEnv(third));
  hubs.set(third, flapping);
  await until('both nodes to see the third', async () => {
    for (const node of ['node-a', 'node-b']) if (!(await clusterStatus(hubs.get(node)!)).nodes.some(n => n.id === third && !n.settled)) return false;
    return true;
  });
  expect(Date.now() - started).toBeLessThan(SETTLE_MS);
  await flapping.stop('SIGKILL');
  hubs.delete(third);
  await until('the third node to be dead to both', async () => {
    for (const node of ['node-a', 'node-b']) if ((await clusterStatus(hubs.get(node)!)).nodes.some(n => n.id === third)) return false;
    return true;
  });

  // Still on its owner, still open: a message reaches the client without any connection.update in between.
  const later = await sim.sendText(PHONE, CONTACT, 'after the flap');
  await client.waitFor('new.message', e => JSON.stringify(e.data).includes(later.messageId), 30_000);
  expect(await holdersOf(hubs, 'steady')).toEqual([owner]);
  expect(client.events.filter(e => e.event === 'connection.update' && e.seq > opened.seq)).toEqual([]);
}, 120_000);
