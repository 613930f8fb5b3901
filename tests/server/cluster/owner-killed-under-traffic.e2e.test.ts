import type { WhatsAppSimulator } from '../../../simulator/simulator.js';
import { ADMIN_KEY, EventClient, hubClient } from '../../helpers/hub.js';
import { clusterStatus, holdersOf, sharedStore, untilEveryNodeSeesAll } from '../../helpers/cluster.js';
import { spawnHub, type Spawned } from '../../helpers/processes.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startSimulator } from '../../helpers/simulator.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { until } from '../../helpers/until.js';
import { seqRange, WebhookReceiver } from '../../helpers/webhook-receiver.js';

const PHONE = '5541983000001';
const CONTACT = '5541983000002';
const MESSAGES = 30;
describe.each(['sqlite', 'postgres'] as const)('nodes on %s', store => {
  let redis: TestRedis;
  let sim: WhatsAppSimulator;
  let dir: ReturnType<typeof tempDir>;
  let receiver: WebhookReceiver;
  const hubs = new Map<string, Spawned>();
  const closers: (() => void)[] = [];

  const urlOf = (node: string) => hubs.get(node)!.vars.WAHUB_URL!;
  const status = (node: string) => clusterStatus(hubs.get(node)!);

  beforeAll(async () => {
    redis = await startRedis();
    // Nodes share one store: a PostgreSQL database, or on one machine one SQLite file (WAL, with a busy timeout).
    const database = await sharedStore(store);
    sim = await startSimulator();
    sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT, pushName: 'Ana' }], history: { chats: [] } });
    receiver = await new WebhookReceiver().start();
    dir = tempDir('wahub-traffic-');
    for (const node of ['node-a', 'node-b']) {
      hubs.set(
        node,
        await spawnHub(dir.path, sim, ADMIN_KEY, {
          REDIS_URL: redis.url,
          NODE_ID: node,
          LEASE_TTL_MS: '3000',
          RATE_LIMIT_PER_SECOND: '0',
          WEBHOOK_BACKOFF_BASE_MS: '50',
          WEBHOOK_BACKOFF_MAX_MS: '500',
          ...database
        })
      );
    }
  });
  afterAll(async () => {
    closers.forEach(close => close());
    for (const hub of hubs.values()) await hub.stop('SIGKILL');
    await receiver?.stop();
    await sim?.stop();
    await redis?.stop();
    dir?.cleanup();
  });

  test('the owner is killed with SIGKILL under inbound traffic and mid-bulk-send: the survivor opens the instance, clients and the webhook get every message and every seq once, in order, and the queue finishes with one message ID per recipient', async () => {
    await untilEveryNodeSeesAll(hubs);
    const created = await hubClient(urlOf('node-a')).request('POST', '/instance/create', { instanceName: 'busy' });
    const token = created.json.token as string;
    const owner = await until('a holder', async () => (await holdersOf(hubs, 'busy'))[0]);
    const survivor = [...hubs.keys()].find(n => n !== owner)!;
    const api = hubClient(urlOf(survivor));
    const client = new EventClient(urlOf(survivor), token);
    closers.push(() => client.close());
    await client.connected();
    expect(await client.emit('subscribe', { instance: 'busy' })).toMatchObject({ ok: true });
    // Everything goes through the survivor, which forwards to the owner while it lives.
    await api.request('GET', '/instance/connect/busy', undefined, token);
    await sim.scan(PHONE, (await client.waitFor('qrcode.updated')).data.qrcode.code);
    await client.waitFor('connection.update', e => e.data.state === 'open');
    receiver.answer = () => ({ status: 200, delayMs: 20 });
    // The secret is known before the set: the owner may post an event before the survivor's answer arrives here.
    receiver.secret = 'cluster-webhook-secret-0123456789';
    const set = await api.request('POST', '/webhook/set/busy', { url: receiver.url, secret: receiver.secret });
    expect(set.status).toBe(201);
    const start = (await api.request('GET', '/webhook/find/busy')).json[0].lastDeliveredSeq as number;

    // A bulk send runs on the owner too, and is on its way when the owner dies.
    const numbers = Array.from({ length: 10 }, (_, i) => String(5541983000100 + i));
    const bulk = await api.request('POST', '/message/sendBulk/busy', { numbers, message: { text: 'bulk' }, options: { minDelayMs: 150, maxDelayMs: 250 } }, token);
    expect(bulk.status).toBe(201);
    const { queueId } = bulk.json as { queueId: string };

    const ids: string[] = [];
    let killed!: () => void;
    const afterKill = new Promise<void>(resolve => (killed = resolve));
    const stream = (async () => {
      for (let i = 0; i < MESSAGES; i++) {
        // The second half waits for the kill, so messages arrive while the instance has no owner.
        if (i === MESSAGES / 2) await afterKill;
        ids.push((await sim.sendText(PHONE, CONTACT, `busy ${i}`)).messageId);
        await new Promise(r => setTimeout(r, 30));
      }
    })();
    await until('some messages on the survivor', () => client.of('new.message').length >= 5);
    await client.waitFor('send.message:PROCESSING', e => e.data.queue.queueId === queueId && e.data.queue.progress > 0, 60_000);
    await hubs.get(owner)!.stop('SIGKILL');
    const bulkAtKill = sim.outbox(PHONE).filter(o => o.text === 'bulk').length;
    hubs.delete(owner);
    killed();
    await stream;

    const idOf = (e: { data: unknown }) => (e.data as { header: { messageId: string } }).header.messageId;
    await until('every message on the client', () => ids.every(id => client.of('new.message').some(e => idOf(e) === id)), 60_000);
    const hooked = () => new Set(receiver.acknowledged().flatMap(p => (p.envelope.event === 'new.message' ? [idOf(p.envelope)] : [])));
    await until('every message at the webhook', () => ids.every(id => hooked().has(id)), 60_000);
    expect((await status(survivor)).held.map(h => h.name)).toEqual(['busy']);
    await client.waitFor('send.message:COMPLETED', e => e.data.queue.queueId === queueId, 60_000);
    expect(bulkAtKill).toBeLessThan(numbers.length);
    // One message ID per recipient, surfaced once, whichever node sent it.
    const out = sim.outbox(PHONE).filter(o => o.text === 'bulk');
    for (const number of numbers) {
      const to = out.filter(o => o.to === `${number}@s.whatsapp.net`);
      expect({ number, ids: new Set(to.map(o => o.id)).size, surfaced: to.filter(o => !o.repeat).length }).toEqual({ number, ids: 1, surfaced: 1 });
    }

    // The client saw each seq once, in order; the webhook's deliveries are the log without a gap.
    const seen = client.events.map(e => e.seq);
    expect(seen).toEqual([...new Set(seen)].sort((a, b) => a - b));
    expect(client.of('new.message').map(idOf).filter(id => ids.includes(id)).sort()).toEqual([...ids].sort());
    expect(receiver.problems).toEqual([]);
    // The cursor read after the set may already be past an event the owner posted in between.
    const seqs = receiver.acknowledgedSeqs();
    expect(seqs[0]).toBeLessThanOrEqual(start + 1);
    expect(seqs).toEqual(seqRange(seqs[0]!, Math.max(...seqs)));
  }, 120_000);
});
