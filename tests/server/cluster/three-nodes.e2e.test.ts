import type { EventEnvelope } from '../../../protocol/index.js';
import type { WhatsAppSimulator } from '../../../simulator/simulator.js';
import { ADMIN_KEY, EventClient, hubClient } from '../../helpers/hub.js';
import { holdersOf, ownersByInstance, sharedStore, spawnNodes, untilEveryNodeSeesAll } from '../../helpers/cluster.js';
import { pairInstances } from '../../helpers/pairing.js';
import { spawnHub, type Spawned } from '../../helpers/processes.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startSimulator } from '../../helpers/simulator.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { until } from '../../helpers/until.js';
import { WsClient } from '../../helpers/ws-client.js';

const NODES = ['node-a', 'node-b', 'node-c'];
const INSTANCES = 30;
/** Inbound messages to each instance under traffic: half before the kill, half while it has no owner and after. */
const PER_INSTANCE = 10;
/** From the spec: a dead node's instances are open elsewhere within this. */
const TAKEOVER_MS = 30_000;
const accounts = Array.from({ length: INSTANCES }, (_, i) => ({ name: `i${i}`, phone: String(5541984000000 + i * 10) }));
const contactOf = (phone: string) => String(Number(phone) + 1);
const phoneOf = (name: string) => accounts.find(a => a.name === name)!.phone;
const idOf = (e: EventEnvelope) => (e.data as { header: { messageId: string } }).header.messageId;

// On PostgreSQL, the store of nodes on several machines; the other cluster tests run on a shared SQLite file as well.
describe.each(['postgres'] as const)('three nodes on %s', store => {
  let redis: TestRedis;
  let sim: WhatsAppSimulator;
  let dir: ReturnType<typeof tempDir>;
  let hubs = new Map<string, Spawned>();
  const closers: (() => void)[] = [];

  const urlOf = (node: string) => hubs.get(node)!.vars.WAHUB_URL!;
  const api = (node: string) => hubClient(urlOf(node));

  beforeAll(async () => {
    redis = await startRedis();
    const database = await sharedStore(store);
    sim = await startSimulator();
    for (const { phone } of accounts) sim.createAccount({ phone, contacts: [{ phone: contactOf(phone), pushName: 'Rui' }], history: { chats: [] } });
    dir = tempDir('wahub-three-');
    // A lease of 6 s (not the 3 s of the one-instance tests): pairing 30 instances starves these three processes on
    // two cores for longer than 3 s's local validity (2.4 s), and a node that steps down mid-pairing loses the pairing.
    hubs = await spawnNodes(NODES, node =>
      spawnHub(dir.path, sim, ADMIN_KEY, { REDIS_URL: redis.url, NODE_ID: node, LEASE_TTL_MS: '6000', RATE_LIMIT_PER_SECOND: '0', ...database })
    );
  });
  afterAll(async () => {
    closers.forEach(close => close());
    for (const hub of hubs.values()) await hub.stop('SIGKILL');
    await sim?.stop();
    await redis?.stop();
    dir?.cleanup();
  });

  test('30 instances over three nodes: a client on one node follows and commands those another owns; SIGKILL of a node under traffic and mid-queue opens its instances on the others within 30 s, with nothing lost or doubled', async () => {
    await untilEveryNodeSeesAll(hubs);
    // Everything goes through node A: one admin socket follows every instance, whichever node owns it.
    const A = 'node-a';
    const client = new EventClient(urlOf(A), ADMIN_KEY);
    closers.push(() => client.close());
    await client.connected();
    await pairInstances(api(A), sim, client, accounts, { concurrency: 3, ready: name => until(`a holder of ${name}`, async () => (await holdersOf(hubs, name)).length === 1) });
    const owners = await ownersByInstance(hubs);
    expect([...owners.values()].every(held => held.length === 1)).toBe(true);
    const ownerOf = (name: string) => owners.get(name)![0]!;
    // The victim is a node other than A that owns some instances (placement spreads 30 over three).
    const C = ['node-c', 'node-b'].find(n => accounts.some(a => ownerOf(a.name) === n))!;
    const doomed = accounts.filter(a => ownerOf(a.name) === C).map(a => a.name);
    expect(doomed.length).toBeGreaterThanOrEqual(2);
    const [far, queued] = doomed as [string, string];

    // Events of an instance C owns reach the client on A, over Socket.IO and over /ws.
    const ws = new WsClient(urlOf(A), { token: ADMIN_KEY });
    closers.push(() => ws.close());
    await ws.open();
    expect(await ws.call('subscribe', { instance: far })).toMatchObject({ ok: true });
    const hello = await sim.sendText(phoneOf(far), contactOf(phoneOf(far)), 'hello from the far side');
    const isHello = (e: EventEnvelope) => e.event === 'new.message' && e.instance.name === far && idOf(e) === hello.messageId;
    await client.waitFor('new.message', isHello);
    await ws.waitForEvent(isHello);

    // Commands sent through A reach C's socket and answer as C does: REST, Socket.IO and /ws.
    const contact = contactOf(phoneOf(far));
    const outbox = () => sim.outbox(phoneOf(far));
    const rest = await api(A).request('POST', `/message/sendText/${far}`, { number: contact, text: 'rest via A' });
    expect(rest.status).toBe(201);
    expect(outbox().find(o => o.id === rest.json.key.id)).toMatchObject({ text: 'rest via A', to: `${contact}@s.whatsapp.net` });
    const io = await client.emit('message.sendText', { instance: far, number: contact, text: 'socket via A' });
    expect(io).toMatchObject({ ok: true, data: { key: { id: expect.any(String) } } });
    expect(outbox().find(o => o.id === io.data.key.id)).toMatchObject({ text: 'socket via A' });
    const viaWs = await ws.call('message.sendText', { instance: far, number: contact, text: 'ws via A' });
    expect(outbox().find(o => o.id === viaWs.data.key.id)).toMatchObject({ text: 'ws via A' });
    const refused = { number: contact, text: 'x', quoted: 'NOPE123' };
    const onOwner = await api(C).request('POST', `/message/sendText/${far}`, refused);
    expect(await api(A).request('POST', `/message/sendText/${far}`, refused)).toEqual(onOwner);
    expect(onOwner.status).toBe(400);

    // A bulk queue runs on one of C's instances, and inbound traffic flows to several of them, when C dies.
    const numbers = Array.from({ length: 10 }, (_, i) => String(5541984900000 + i));
    const bulk = await api(A).request('POST', `/message/sendBulk/${queued}`, { numbers, message: { text: 'bulk' }, options: { minDelayMs: 150, maxDelayMs: 250 } });
    expect(bulk.status).toBe(201);
    const { queueId } = bulk.json as { queueId: string };
    const busy = doomed.slice(0, 5);
    const sent = new Map<string, string[]>(busy.map(name => [name, []]));
    let killed!: () => void;
    const afterKill = new Promise<void>(resolve => (killed = resolve));
    const streams = busy.map(async name => {
      for (let i = 0; i < PER_INSTANCE; i++) {
        if (i === PER_INSTANCE / 2) await afterKill;
        sent.get(name)!.push((await sim.sendText(phoneOf(name), contactOf(phoneOf(name)), `${name} ${i}`)).messageId);
        await new Promise(r => setTimeout(r, 30));
      }
    });
    const arrived = (name: string) => client.of('new.message').filter(e => e.instance.name === name && sent.get(name)!.includes(idOf(e))).length;
    await until('traffic on every busy instance', () => busy.every(name => arrived(name) >= 2));
    await client.waitFor('send.message:PROCESSING', e => e.data.queue.queueId === queueId && e.data.queue.progress > 0, 60_000);
    const lastOpen = new Map(doomed.map(name => [name, Math.max(...client.of('connection.update').filter(e => e.instance.name === name && e.data.state === 'open').map(e => e.seq))]));
    await hubs.get(C)!.stop('SIGKILL');
    const killedAt = Date.now();
    const bulkAtKill = sim.outbox(phoneOf(queued)).filter(o => o.text === 'bulk').length;
    hubs.delete(C);
    killed();

    // Every instance of C is open again on a survivor, as the client on A sees it, within the spec's deadline.
    const reopened = (name: string) => client.of('connection.update').some(e => e.instance.name === name && e.data.state === 'open' && e.seq > lastOpen.get(name)!);
    await until('every instance of the dead node open again', () => doomed.every(reopened), TAKEOVER_MS + 15_000);
    const takeoverMs = Date.now() - killedAt;
    expect({ takeoverMs, within: takeoverMs <= TAKEOVER_MS }).toEqual({ takeoverMs, within: true });
    const after = await ownersByInstance(hubs);
    for (const name of doomed) expect(after.get(name)).toHaveLength(1);
    await Promise.all(streams);

    // Every inbound message arrives at the client exactly once.
    await until('every inbound message on the client', () => busy.every(name => arrived(name) >= PER_INSTANCE), 30_000);
    for (const name of busy) {
      const got = client.of('new.message').filter(e => e.instance.name === name).map(idOf);
      for (const id of sent.get(name)!) expect({ name, id, times: got.filter(g => g === id).length }).toEqual({ name, id, times: 1 });
    }

    // The queue finishes on the new owner, and no recipient got two different message IDs.
    await client.waitFor('send.message:COMPLETED', e => e.data.queue.queueId === queueId, 60_000);
    expect(bulkAtKill).toBeLessThan(numbers.length);
    const out = sim.outbox(phoneOf(queued)).filter(o => o.text === 'bulk');
    for (const number of numbers) {
      const to = out.filter(o => o.to === `${number}@s.whatsapp.net`);
      expect({ number, ids: new Set(to.map(o => o.id)).size, surfaced: to.filter(o => !o.repeat).length }).toEqual({ number, ids: 1, surfaced: 1 });
    }

    // Each instance's log, replayed from a survivor that is not its new owner, is contiguous from 1,
    // holds every inbound message once, and the live client on A saw that same log in order, without a gap.
    for (const name of doomed) {
      const owner = after.get(name)![0]!;
      const reader = [...hubs.keys()].find(n => n !== owner)!;
      const replay = new EventClient(urlOf(reader), ADMIN_KEY);
      closers.push(() => replay.close());
      await replay.connected();
      let ack: { data: { lastSeq: number; more: boolean; gap: boolean } };
      let from = 0;
      do {
        ack = await replay.emit('subscribe', { instance: name, after: from });
        expect(ack).toMatchObject({ ok: true, data: { gap: false } });
        from = ack.data.lastSeq;
      } while (ack.data.more);
      replay.close();
      const stored = replay.events.filter(e => e.instance.name === name && e.seq <= from);
      expect(stored.map(e => e.seq)).toEqual(Array.from({ length: from }, (_, i) => i + 1));
      for (const id of sent.get(name) ?? []) expect(stored.filter(e => e.event === 'new.message' && idOf(e) === id)).toHaveLength(1);
      const seen = () => client.events.filter(e => e.instance.name === name).map(e => e.seq);
      await until(`the client on A to reach seq ${from} of ${name}`, () => Math.max(...seen()) >= from);
      const live = seen().filter(s => s <= from);
      expect({ name, live }).toEqual({ name, live: Array.from({ length: from - live[0]! + 1 }, (_, i) => live[0]! + i) });
    }
  }, 180_000);
});
