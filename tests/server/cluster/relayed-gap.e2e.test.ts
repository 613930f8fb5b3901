import type { EventEnvelope } from '../../../protocol/index.js';
import type { WhatsAppSimulator } from '../../../simulator/simulator.js';
import { EventClient, startHub, type TestHub } from '../../helpers/hub.js';
import { startSimulator } from '../../helpers/simulator.js';
import { until } from '../../helpers/until.js';

let sim: WhatsAppSimulator;
let hub: TestHub;
const clients: EventClient[] = [];

beforeAll(async () => {
  sim = await startSimulator();
  hub = await startHub(sim);
});
afterAll(async () => {
  clients.forEach(c => c.close());
  await hub?.close();
  await sim?.stop();
});

/** Stores `n` events of the instance without publishing them, as a node killed between its commit and its publish leaves them. */
function storeUnpublished(name: string, n: number): { envelope: EventEnvelope; payload: string }[] {
  const { registry } = hub.app.hub;
  const inst = registry.get(name);
  return hub.app.storage.transaction(() =>
    Array.from({ length: n }, () => {
      let envelope!: EventEnvelope;
      const { payload } = hub.app.storage.events.append(inst.row.id, 'connection.update', (seq, timestamp) => {
        envelope = { event: 'connection.update', instance: registry.ref(inst), data: { instance: { name, id: inst.row.id }, state: 'close', statusReason: 0 }, seq, timestamp } as EventEnvelope;
        return envelope;
      });
      return { envelope, payload };
    })
  );
}

test('an envelope relayed past a gap (its publisher died between commit and publish) brings the missing ones from the store first, in order', async () => {
  const created = await hub.request('POST', '/instance/create', { instanceName: 'gap' });
  const client = new EventClient(hub.url, created.json.token);
  clients.push(client);
  await client.connected();
  const ack = await client.emit('subscribe', { instance: 'gap' });
  const last = ack.data.lastSeq as number;
  const stored = storeUnpublished('gap', 3);
  const inst = hub.app.hub.registry.get('gap');
  // Only the last one arrives, as through the relay.
  hub.app.delivery.sink.publish({ id: inst.row.id, ref: hub.app.hub.registry.ref(inst) }, stored[2]!.envelope, stored[2]!.payload);
  await until('the relayed envelope', () => client.events.some(e => e.seq === last + 3));
  expect(client.events.map(e => e.seq)).toEqual([last + 1, last + 2, last + 3]);
});

test('a gap too long to fill here closes the client with a reason to resubscribe', async () => {
  const created = await hub.request('POST', '/instance/create', { instanceName: 'long-gap' });
  const client = new EventClient(hub.url, created.json.token);
  clients.push(client);
  await client.connected();
  await client.emit('subscribe', { instance: 'long-gap' });
  const told = new Promise(resolve => client.socket.on('error', resolve));
  const stored = storeUnpublished('long-gap', 250);
  const inst = hub.app.hub.registry.get('long-gap');
  hub.app.delivery.sink.publish({ id: inst.row.id, ref: hub.app.hub.registry.ref(inst) }, stored.at(-1)!.envelope, stored.at(-1)!.payload);
  expect(await told).toMatchObject({ status: 503, message: 'relayed events were cut; resubscribe with after=<last seq>' });
});
