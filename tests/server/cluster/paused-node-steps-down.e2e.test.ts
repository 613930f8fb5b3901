import type { WhatsAppSimulator } from '../../../simulator/simulator.js';
import { ADMIN_KEY, EventClient, hubClient } from '../../helpers/hub.js';
import { logLines, spawnHub, type Spawned } from '../../helpers/processes.js';
import { holdersOf, sharedStore, untilEveryNodeSeesAll } from '../../helpers/cluster.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startSimulator } from '../../helpers/simulator.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { until } from '../../helpers/until.js';

const PHONE = '5541982000001';
const CONTACT = '5541982000002';
describe.each(['sqlite', 'postgres'] as const)('nodes on %s', store => {
  let redis: TestRedis;
  let sim: WhatsAppSimulator;
  let dir: ReturnType<typeof tempDir>;
  const hubs = new Map<string, Spawned>();
  const closers: (() => void)[] = [];

  const urlOf = (node: string) => hubs.get(node)!.vars.WAHUB_URL!;

  beforeAll(async () => {
    redis = await startRedis();
    sim = await startSimulator();
    sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT, pushName: 'Rui' }], history: { chats: [] } });
    dir = tempDir('wahub-paused-');
    // Nodes share one store: a PostgreSQL database, or on one machine one SQLite file (WAL, with a busy timeout).
    const database = await sharedStore(store);
    for (const node of ['node-a', 'node-b']) {
      hubs.set(node, await spawnHub(dir.path, sim, ADMIN_KEY, { REDIS_URL: redis.url, NODE_ID: node, LEASE_TTL_MS: '3000', RATE_LIMIT_PER_SECOND: '0', ...database }));
    }
  });
  afterAll(async () => {
    closers.forEach(close => close());
    for (const hub of hubs.values()) {
      hub.child.kill('SIGCONT');
      await hub.stop('SIGKILL');
    }
    await sim?.stop();
    await redis?.stop();
    dir?.cleanup();
  });

  test('a node frozen past its lease (SIGSTOP) steps down on SIGCONT: it writes nothing for the instance, and no 440 fight follows', async () => {
    await untilEveryNodeSeesAll(hubs);
    const created = await hubClient(urlOf('node-a')).request('POST', '/instance/create', { instanceName: 'frozen' });
    const token = created.json.token as string;
    const holders = () => holdersOf(hubs, 'frozen');
    const [owner] = await until('a node to hold the instance', async () => ((await holders()).length === 1 ? holders() : undefined));
    const other = [...hubs.keys()].find(n => n !== owner)!;
    const client = new EventClient(urlOf(other), token);
    closers.push(() => client.close());
    await client.connected();
    expect(await client.emit('subscribe', { instance: 'frozen' })).toMatchObject({ ok: true });
    await hubClient(urlOf(owner!)).request('GET', '/instance/connect/frozen', undefined, token);
    await sim.scan(PHONE, (await client.waitFor('qrcode.updated')).data.qrcode.code);
    const opened = await client.waitFor('connection.update', e => e.data.state === 'open');
    // Frozen once the login's own writes (keys, app state) are done: on a shared SQLite file a node
    // frozen inside a write transaction holds the file's write lock, and no other node can write
    // until it resumes (docs/SCALING.md); PostgreSQL ends such a session after PG_QUERY_TIMEOUT_MS.
    const first = await sim.sendText(PHONE, CONTACT, 'before the freeze');
    await client.waitFor('new.message', e => JSON.stringify(e.data).includes(first.messageId), 30_000);

    const frozen = hubs.get(owner!)!;
    frozen.child.kill('SIGSTOP');
    // The other node claims the expired lease and logs in: WhatsApp replaces the frozen node's connection (440).
    const reopened = await client.waitFor('connection.update', e => e.data.state === 'open' && e.seq > opened.seq, 30_000);
    frozen.child.kill('SIGCONT');
    await until('the frozen node to step down', () => logLines(frozen).find(l => l.msg === 'lease lost; instance stopped' && l.instance));

    // Settled: one node holds it (the frozen one may take it back by rebalancing, in turn), and it receives.
    await until('one holder', async () => (await holders()).length === 1);
    const later = await sim.sendText(PHONE, CONTACT, 'after the thaw');
    await client.waitFor('new.message', e => JSON.stringify(e.data).includes(later.messageId), 30_000);

    const replay = new EventClient(urlOf(other), token);
    closers.push(() => replay.close());
    await replay.connected();
    const ack = await replay.emit('subscribe', { instance: 'frozen', after: opened.seq });
    expect(ack).toMatchObject({ ok: true, data: { gap: false } });
    const states = replay.events.filter(e => e.event === 'connection.update').map(e => (e.data as { state: string; statusReason: number }));
    // Neither node reported the other's takeover as its own loss: no refused, no 440.
    expect(states.filter(s => s.state === 'refused' || s.statusReason === 440)).toEqual([]);
    expect(replay.events.map(e => e.seq)).toEqual(Array.from({ length: replay.events.length }, (_, i) => opened.seq + 1 + i));
    expect(replay.events[0]!.seq).toBeLessThanOrEqual(reopened.seq);
    expect(client.events.filter(e => e.event === 'new.message' && JSON.stringify(e.data).includes(later.messageId))).toHaveLength(1);
  }, 120_000);
});
