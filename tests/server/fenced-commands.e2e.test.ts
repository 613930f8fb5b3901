import { Readable } from 'node:stream';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, startHub, type TestHub } from '../helpers/hub.js';
import { startSimulator } from '../helpers/simulator.js';

let sim: WhatsAppSimulator;
let hub: TestHub;
let id: string;
let queueId: string;

/**
 * The commands a holder answers write with its lease token, through the REST layer
 * as callers reach it. The hub stands for a node that still counts on its lease
 * (token 1); the store then takes token 2, as a newer holder's first write does.
 */
beforeAll(async () => {
  sim = await startSimulator();
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0' } });
  await hub.request('POST', '/instance/create', { instanceName: 'fenced' }, ADMIN_KEY);
  id = hub.app.hub.registry.idOf('fenced')!;
  hub.app.storage.fenceWith(() => 1);
  hub.app.hub.registry.placeWith({ holds: () => true });
  hub.app.hub.webhooks.placeWith(() => true);
});
afterAll(async () => {
  await hub.close();
  await sim.stop();
});

/** A received image whose bytes are in this node's media folder already, its row not yet marked stored. */
const mediaRow = async (messageId: string) => {
  const file = await hub.app.hub.media.store.put(Readable.from([Buffer.from(`bytes of ${messageId}`)]), { maxBytes: 1024 });
  hub.app.storage.media.register({
    instance_id: id,
    message_id: messageId,
    chat_jid: '5541983000002@s.whatsapp.net',
    from_me: 0,
    media_type: 'image',
    mimetype: 'image/jpeg',
    file_length: file.bytes,
    sha256: file.sha256,
    stored: false
  } as Parameters<typeof hub.app.storage.media.register>[0]);
};
const getMedia = (messageId: string) => fetch(`${hub.url}/media/fenced/${messageId}`, { headers: { apikey: ADMIN_KEY } });
const storedAt = (messageId: string) => hub.app.storage.media.get(id, messageId as never)!.stored_at;

const settings = (body: Record<string, unknown>) => hub.request('POST', '/settings/set/fenced', body, ADMIN_KEY);
const webhooks = async () => (await hub.request('GET', '/webhook/find/fenced', undefined, ADMIN_KEY)).json as { url: string; enabled: boolean }[];

test('a holder whose token the store still has writes its commands', async () => {
  expect(await settings({ alwaysOnline: true })).toMatchObject({ status: 200, json: { alwaysOnline: true } });
  expect(await hub.request('POST', '/webhook/set/fenced', { url: 'http://127.0.0.1:9/one' }, ADMIN_KEY)).toMatchObject({ status: 201 });
  const bulk = await hub.request('POST', '/message/sendBulk/fenced', { numbers: ['5541983000002'], message: { text: 'bulk' } }, ADMIN_KEY);
  expect(bulk.status).toBe(201);
  queueId = (bulk.json as { queueId: string }).queueId;
  // The runner's own move: nothing to send on, so it holds the queue.
  expect(hub.app.storage.queues.get(queueId)).toMatchObject({ state: 'waiting' });
  await mediaRow('M0');
  expect((await getMedia('M0')).status).toBe(200);
  expect(storedAt('M0')).toEqual(expect.any(Number));
  expect(hub.app.storage.fence.stored(id)).toBe(1);
});

test('after a newer token, settings, webhook, queue and media writes answer 409 HUB_OTHER_NODE and change nothing', async () => {
  await mediaRow('M1');
  hub.app.storage.fence.pass(id, 2);
  // HUB_OTHER_NODE on the wire: an unmapped store refusal would be a 500 'internal error'.
  const refused = { status: 409, json: { status: 409, error: 'Conflict', message: 'instance fenced is open on another node of the cluster' } };
  expect(await settings({ alwaysOnline: false })).toMatchObject(refused);
  expect(await hub.request('POST', '/webhook/set/fenced', { url: 'http://127.0.0.1:9/two' }, ADMIN_KEY)).toMatchObject(refused);
  expect(await hub.request('POST', '/webhook/set/fenced', { url: 'http://127.0.0.1:9/one', enabled: false }, ADMIN_KEY)).toMatchObject(refused);
  const [hook] = (await hub.request('GET', '/webhook/find/fenced', undefined, ADMIN_KEY)).json as { id: string }[];
  expect(await hub.request('DELETE', '/webhook/delete/fenced', { id: hook!.id }, ADMIN_KEY)).toMatchObject(refused);
  const queue = () => hub.app.storage.queues.get(queueId)!;
  const before = queue();
  expect(await hub.request('PUT', '/queue/pause/fenced', { queueId }, ADMIN_KEY)).toMatchObject(refused);
  expect(await hub.request('DELETE', '/queue/delete/fenced', { queueId }, ADMIN_KEY)).toMatchObject(refused);
  expect(await hub.request('POST', '/message/sendBulk/fenced', { numbers: ['5541983000003'], message: { text: 'late' } }, ADMIN_KEY)).toMatchObject(refused);
  expect([queue().state, queue().reason]).toEqual([before.state, before.reason]);
  expect(hub.app.storage.queues.listByInstance(id).map(q => q.id)).toEqual([queueId]);
  // The newer holder resumed the queue; this node's runner, started again, cannot hold it (its move runs before any await).
  hub.app.storage.queues.setState(queueId, 'queued');
  hub.app.hub.queues.resumeAll();
  expect(queue().state).toBe('queued');
  const media = await getMedia('M1');
  expect({ status: media.status, json: await media.json() }).toMatchObject(refused);
  expect(storedAt('M1')).toBeNull();

  // The process goes on answering, and the store holds what the earlier holder wrote.
  expect(await hub.request('GET', '/settings/find/fenced', undefined, ADMIN_KEY)).toMatchObject({ status: 200, json: { alwaysOnline: true } });
  expect((await webhooks()).map(w => [w.url, w.enabled])).toEqual([['http://127.0.0.1:9/one', true]]);
  expect(hub.app.storage.fence.stored(id)).toBe(2);
});
