import { createClient } from 'redis';
import type { EventEnvelope } from '../../../protocol/index.js';
import type { WhatsAppSimulator } from '../../../simulator/simulator.js';
import { ADMIN_KEY, EventClient, hubClient } from '../../helpers/hub.js';
import { clusterStatus, holdersOf, sharedStore, untilEveryNodeSeesAll } from '../../helpers/cluster.js';
import { spawnHub, type Spawned } from '../../helpers/processes.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startSimulator } from '../../helpers/simulator.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { until } from '../../helpers/until.js';
import { WsClient } from '../../helpers/ws-client.js';

const PHONE = '5541981000001';
const CONTACT = '5541981000002';
const NODES = ['node-a', 'node-b', 'node-c'];
describe.each(['sqlite', 'postgres'] as const)('nodes on %s', store => {
  let redis: TestRedis;
  let sim: WhatsAppSimulator;
  let dir: ReturnType<typeof tempDir>;
  const hubs = new Map<string, Spawned>();
  const closers: (() => void)[] = [];

  const urlOf = (node: string) => hubs.get(node)!.vars.WAHUB_URL!;
  const api = (node: string) => hubClient(urlOf(node));
  const status = (node: string) => clusterStatus(hubs.get(node)!);

  beforeAll(async () => {
    redis = await startRedis();
    sim = await startSimulator();
    sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT, pushName: 'Lia' }], history: { chats: [] } });
    dir = tempDir('wahub-cluster-');
    // Nodes share one store: a PostgreSQL database, or on one machine one SQLite file (WAL, with a busy timeout).
    const database = await sharedStore(store);
    for (const node of NODES) {
      hubs.set(node, await spawnHub(dir.path, sim, ADMIN_KEY, { REDIS_URL: redis.url, NODE_ID: node, LEASE_TTL_MS: '3000', RATE_LIMIT_PER_SECOND: '0', ...database }));
    }
  });
  afterAll(async () => {
    closers.forEach(close => close());
    for (const hub of hubs.values()) await hub.stop('SIGKILL');
    await sim?.stop();
    await redis?.stop();
    dir?.cleanup();
  });

  test('a client on one node receives the events of an instance another node owns; SIGKILL of the owner opens it on another node', async () => {
    await untilEveryNodeSeesAll(hubs);
    const created = await api('node-a').request('POST', '/instance/create', { instanceName: 'moving' });
    expect(created.status).toBe(201);
    const token = created.json.token as string;
    const ownerNow = async () => {
      const holders = await holdersOf(hubs, 'moving');
      return holders.length === 1 ? holders[0] : undefined;
    };
    const owner = await until('one node to hold the instance', ownerNow);
    const [near, far] = NODES.filter(n => n !== owner) as [string, string];

    // Socket.IO on one node that does not own the instance, a plain WebSocket on the other.
    const io = new EventClient(urlOf(near), token);
    closers.push(() => io.close());
    await io.connected();
    expect(await io.emit('subscribe', { instance: 'moving' })).toMatchObject({ ok: true });
    const ws = new WsClient(urlOf(far), { token });
    closers.push(() => ws.close());
    await ws.open();
    expect(await ws.call('subscribe', { instance: 'moving' })).toMatchObject({ ok: true });

    // Only the owner opens the WhatsApp socket: the connect sent to another node is forwarded to it, and the QR it shows comes back.
    expect((await api(near).request('GET', '/instance/connect/moving', undefined, token)).status).toBe(200);
    const qr = await io.waitFor('qrcode.updated');
    await sim.scan(PHONE, qr.data.qrcode.code);
    const opened = await io.waitFor('connection.update', e => e.data.state === 'open');
    const first = await sim.sendText(PHONE, CONTACT, 'before the crash');
    const isText = (id: string) => (e: EventEnvelope) => e.event === 'new.message' && JSON.stringify(e.data).includes(id);
    await io.waitFor('new.message', isText(first.messageId));
    await ws.waitForEvent(isText(first.messageId));

    // Commands through a non-owner reach the owner's socket, and come back as the owner answers: the same result, the same errors.
    const sent = await ws.call('message.sendText', { instance: 'moving', number: CONTACT, text: 'through another node' });
    expect(sent).toMatchObject({ ok: true, data: { key: { id: expect.any(String) } } });
    expect(sim.outbox(PHONE).find(o => o.id === sent.data.key.id)).toMatchObject({ text: 'through another node' });
    const refused = { number: CONTACT, text: 'x', quoted: 'NOPE123' };
    const viaOwner = await api(owner).request('POST', '/message/sendText/moving', refused, token);
    const viaOther = await api(near).request('POST', '/message/sendText/moving', refused, token);
    expect(viaOther).toEqual(viaOwner);
    expect(viaOther).toEqual({ status: 400, json: { status: 400, error: 'Bad Request', message: 'Message ID: NOPE123 - not found to be quoted' } });
    expect((await api(far).request('GET', '/instance/connectionState/moving', undefined, token)).json).toMatchObject({ name: 'moving', state: 'open' });

    await hubs.get(owner)!.stop('SIGKILL');
    hubs.delete(owner);
    // After the lease expires a surviving node claims it, reads its credentials from the store and reconnects.
    await io.waitFor('connection.update', e => e.data.state === 'open' && e.seq > opened.seq, 30_000);
    const next = await until('a survivor to hold the instance', ownerNow);
    expect(NODES.filter(n => n !== owner)).toContain(next);
    const second = await sim.sendText(PHONE, CONTACT, 'after the crash');
    await io.waitFor('new.message', isText(second.messageId));
    await ws.waitForEvent(isText(second.messageId));

    // Nothing lost, nothing twice: the store's log is contiguous and each live client saw it in order, once.
    const replay = new EventClient(urlOf(far), token);
    closers.push(() => replay.close());
    await replay.connected();
    const ack = await replay.emit('subscribe', { instance: 'moving', after: 0 });
    expect(ack).toMatchObject({ ok: true, data: { gap: false, more: false } });
    const stored = replay.events.map(e => e.seq);
    expect(stored).toEqual(Array.from({ length: ack.data.lastSeq }, (_, i) => i + 1));
    for (const seen of [io.events.map(e => e.seq), ws.events.map(e => e.seq)]) {
      expect([...seen].sort((x, y) => x - y)).toEqual(seen);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.every(s => stored.includes(s))).toBe(true);
    }
    expect(io.events.filter(isText(second.messageId)).length).toBe(1);

    // Pub/sub loses what is published while a subscriber is cut off: the clients that depend on it are told to resubscribe.
    const watcherNode = NODES.find(n => n !== owner && n !== next)!;
    const watcher = new EventClient(urlOf(watcherNode), token);
    closers.push(() => watcher.close());
    await watcher.connected();
    expect(await watcher.emit('subscribe', { instance: 'moving' })).toMatchObject({ ok: true });
    const told = new Promise((resolve, reject) => {
      watcher.socket.on('error', resolve);
      setTimeout(() => reject(new Error(`${watcherNode} did not close its client (owner ${owner}, next ${next})`)), 20_000);
    });
    // The clients of the first subscriptions on that node are told too, on either transport.
    const wsClosed = new Promise(resolve => ws.ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
    const ioTold = new Promise(resolve => io.socket.once('error', resolve));
    const admin = createClient({ url: redis.url });
    await admin.connect();
    const list = String(await admin.sendCommand(['CLIENT', 'LIST']));
    const subscriber = /^id=(\d+) .*name=(\S+)/gm;
    const ids = [...list.matchAll(subscriber)].filter(m => m[2] === `wahub-events-${watcherNode}`).map(m => m[1]!);
    expect(ids).toHaveLength(1);
    await admin.sendCommand(['CLIENT', 'KILL', 'ID', ids[0]!]);
    await admin.quit();
    expect(await told).toEqual({ status: 503, error: 'Service Unavailable', message: 'relayed events were cut; resubscribe with after=<last seq>' });
    const cut = { status: 503, error: 'Service Unavailable', message: 'relayed events were cut; resubscribe with after=<last seq>' };
    if (watcherNode === far) expect(await wsClosed).toEqual({ code: 1013, reason: JSON.stringify(cut) });
    else expect(await ioTold).toEqual(cut);
    const resumed = new EventClient(urlOf(watcherNode), token);
    closers.push(() => resumed.close());
    await resumed.connected();
    expect(await resumed.emit('subscribe', { instance: 'moving', after: ack.data.lastSeq })).toMatchObject({ ok: true });
    const third = await sim.sendText(PHONE, CONTACT, 'after the cut');
    await resumed.waitFor('new.message', isText(third.messageId));
  }, 120_000);
});
