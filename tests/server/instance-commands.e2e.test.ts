import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { AnyTransport, TRANSPORTS, type Transport } from '../helpers/any-transport.js';
import { ADMIN_KEY, EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';

const CONTACT = '5541900000100';
let sim: WhatsAppSimulator;
let hub: TestHub;
let admin: AnyTransport;
const closers: { close(): void }[] = [];

beforeAll(async () => {
  sim = await startSimulator();
  hub = await startHub(sim);
  admin = await AnyTransport.open(hub.url, ADMIN_KEY);
  closers.push(admin);
});
afterAll(async () => {
  closers.forEach(c => c.close());
  await hub.close();
  await sim.stop();
});

const rows = (table: string, instanceId: string): unknown =>
  hub.app.storage.db.prepare(`SELECT COUNT(*) FROM ${table} WHERE ${table === 'instances' ? 'id' : 'instance_id'} = ?`).pluck().get(instanceId);

/** Creates and pairs an instance with `transport` alone; answers its token, an event observer and a caller with its token. */
async function createAndPair(transport: Transport, name: string, phone: string) {
  sim.createAccount({ phone, contacts: [{ phone: CONTACT }] });
  const created = await admin.call(transport, 'instance.create', { instanceName: name });
  expect(created).toMatchObject({ ok: true, data: { instance: { name, state: 'close' }, token: expect.any(String) } });
  const token = created.data!.token;
  const id = created.data!.instance.id;
  expect(rows('instances', id)).toBe(1);

  const events = new EventClient(hub.url, token);
  const own = await AnyTransport.open(hub.url, token);
  closers.push(events, own);
  await events.connected();
  expect(await events.emit('subscribe', { instance: name })).toMatchObject({ ok: true });

  // An instance token lists only its own instance; the admin key sees it among the rest.
  expect((await own.call(transport, 'instance.list', {})).data!.map(i => i.name)).toEqual([name]);
  expect((await admin.call(transport, 'instance.list', {})).data!.map(i => i.name)).toContain(name);

  const connect = await own.call(transport, 'instance.connect', { instance: name });
  expect(connect).toMatchObject({ ok: true, data: { instance: { name } } });
  const qr = await events.waitFor('qrcode.updated');
  if (connect.data!.qrcode) expect(connect.data!.qrcode.code).toBe(qr.data.qrcode.code);
  await sim.scan(phone, qr.data.qrcode.code);
  await events.waitFor('connection.update', e => e.data.state === 'open');
  expect(await own.call(transport, 'instance.state', { instance: name })).toMatchObject({
    ok: true,
    data: { name, state: 'open', owner: `${phone}@s.whatsapp.net` }
  });
  return { id, token, events, own };
}

describe.each(TRANSPORTS)('over %s', transport => {
  const name = `life-${transport.replace('.', '')}`;
  const phone = `554190000000${TRANSPORTS.indexOf(transport) + 1}`;

  test('create, list, connect, state, logout and delete, each with its effect in the simulator, the store and the events', async () => {
    const { id, events, own } = await createAndPair(transport, name, phone);
    expect(sim.account(phone).companion).toBeDefined();
    expect(rows('auth_creds', id)).toBe(1);

    const out = await own.call(transport, 'instance.logout', { instance: name });
    expect(out).toMatchObject({ ok: true, data: { name, state: 'refused' } });
    // WhatsApp forgets the linked device; the hub forgets its credentials and says why it stopped.
    await waitUntil(() => sim.account(phone).companion === undefined);
    expect(rows('auth_creds', id)).toBe(0);
    expect(rows('auth_keys', id)).toBe(0);
    const refused = await events.waitFor('connection.update', e => e.data.state === 'refused');
    expect(refused.data.statusReason).toBe(401);
    expect(await own.call(transport, 'instance.state', { instance: name })).toMatchObject({ ok: true, data: { state: 'refused' } });

    const deleted = await own.call(transport, 'instance.delete', { instance: name });
    expect(deleted).toEqual(expect.objectContaining({ ok: true, data: { deleted: name } }));
    expect(rows('instances', id)).toBe(0);
    expect(rows('event_log', id)).toBe(0);
    expect((await admin.call(transport, 'instance.list', {})).data!.map(i => i.name)).not.toContain(name);
    expect(await admin.call(transport, 'instance.state', { instance: name })).toMatchObject({ ok: false, error: { status: 404 } });
  });
});

test.each(TRANSPORTS)('instance.delete over %s on a connected instance logs it out at WhatsApp first and forgets what was stored', async transport => {
  const name = `gone-${transport.replace('.', '')}`;
  const phone = `554190000001${TRANSPORTS.indexOf(transport) + 1}`;
  const { id, events } = await createAndPair(transport, name, phone);
  const { messageId } = await sim.sendText(phone, CONTACT, 'stored before the delete');
  await events.waitFor('new.message', e => e.data.header.messageId === messageId);
  expect(rows('messages', id)).toBeGreaterThanOrEqual(1);

  expect(await admin.call(transport, 'instance.delete', { instance: name })).toMatchObject({ ok: true, data: { deleted: name } });
  await waitUntil(() => sim.account(phone).companion === undefined);
  for (const table of ['instances', 'auth_creds', 'messages', 'chats', 'event_log']) expect({ table, rows: rows(table, id) }).toEqual({ table, rows: 0 });
});
