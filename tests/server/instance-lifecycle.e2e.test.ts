import { io as connect } from 'socket.io-client';
import { validateEvent } from '../../protocol/index.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator } from '../helpers/simulator.js';

const CONTACT = '5571900000100';
let sim: WhatsAppSimulator;
let hub: TestHub;
const clients: EventClient[] = [];
let n = 1;
const account = () => {
  const phone = `557190000000${n++}`;
  sim.createAccount({ phone, contacts: [{ phone: CONTACT, pushName: 'Caio' }] });
  return phone;
};

beforeAll(async () => {
  sim = await startSimulator();
  hub = await startHub(sim);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await hub.close();
  await sim.stop();
});

test('kick "logout": connection.update close (401) then refused; the credentials are wiped', async () => {
  const phone = account();
  const { client } = await pairInstance(hub, sim, 'out', phone);
  clients.push(client);
  sim.kick(phone, 'logout');
  const refused = await client.waitFor('connection.update', e => e.data.state === 'refused');
  const states = client.of('connection.update').map(e => e.data.state);
  expect(states.slice(-2)).toEqual(['close', 'refused']);
  expect(refused.data.statusReason).toBe(401);
  expect(hub.app.hub.registry.get('out').auth.hasAccount()).toBe(false);
  const id = hub.app.hub.registry.get('out').row.id;
  expect(hub.app.storage.db.prepare('SELECT COUNT(*) FROM auth_creds WHERE instance_id = ?').pluck().get(id)).toBe(0);
  expect((await hub.request('GET', '/instance/connectionState/out')).json.state).toBe('refused');
});

test('kick "drop": the instance reconnects by itself and keeps receiving', async () => {
  const phone = account();
  const { client } = await pairInstance(hub, sim, 'drop', phone);
  clients.push(client);
  const before = client.events.length;
  sim.kick(phone, 'drop');
  await client.waitFor('connection.update', e => e.data.state === 'close' && client.events.indexOf(e) >= before);
  await client.waitFor('connection.update', e => e.data.state === 'open' && client.events.indexOf(e) >= before);
  expect(client.events.slice(before).some(e => e.event === 'qrcode.updated')).toBe(false);
  const { messageId } = await sim.sendText(phone, CONTACT, 'still here');
  await client.waitFor('new.message', e => e.data.header.messageId === messageId);
});

test('the QR shown QR_MAX_COUNT times without a scan ends in refused (408)', async () => {
  const quick = await startHub(sim, { env: { QR_MAX_COUNT: '2' }, qrTimeoutMs: 300 });
  const created = await quick.request('POST', '/instance/create', { instanceName: 'noscan' });
  const client = new EventClient(quick.url, created.json.token);
  try {
    await client.connected();
    await client.emit('subscribe', { instance: 'noscan' });
    await quick.request('GET', '/instance/connect/noscan');
    const refused = await client.waitFor('connection.update', e => e.data.state === 'refused');
    expect(refused.data.statusReason).toBe(408);
    expect(client.of('qrcode.updated')).toHaveLength(2);
    await new Promise(r => setTimeout(r, 700));
    // Given up: no further QR codes until someone asks to connect again.
    expect(client.of('qrcode.updated')).toHaveLength(2);
    expect((await quick.request('GET', '/instance/connectionState/noscan')).json.state).toBe('refused');
  } finally {
    client.close();
    await quick.close();
  }
});

test('two instances, two tokens: each socket sees only its own events; another instance is forbidden', async () => {
  const pa = account();
  const pb = account();
  const a = await pairInstance(hub, sim, 'alpha', pa);
  const b = await pairInstance(hub, sim, 'beta', pb);
  clients.push(a.client, b.client);
  const denied = await a.client.emit('subscribe', { instance: 'beta' });
  expect(denied).toEqual({ ok: false, error: { status: 403, error: 'Forbidden', message: 'this token may not use instance beta' } });
  const { messageId: toA } = await sim.sendText(pa, CONTACT, 'for alpha');
  const { messageId: toB } = await sim.sendText(pb, CONTACT, 'for beta');
  await a.client.waitFor('new.message', e => e.data.header.messageId === toA);
  await b.client.waitFor('new.message', e => e.data.header.messageId === toB);
  await new Promise(r => setTimeout(r, 300));
  expect(a.client.events.every(e => e.instance.name === 'alpha')).toBe(true);
  expect(b.client.events.every(e => e.instance.name === 'beta')).toBe(true);
  // The REST side holds the same line.
  expect((await hub.request('GET', '/instance/connectionState/beta', undefined, a.token)).status).toBe(403);
  expect((await hub.request('GET', '/instance/fetchInstances', undefined, a.token)).json.map((i: { name: string }) => i.name)).toEqual(['alpha']);
});

test.each([
  ['no token', undefined],
  ['a wrong token', 'not-a-token'],
  ['an empty token', '']
])('Socket.IO refuses %s with the error shape', async (_why, token) => {
  const socket = connect(hub.url, { auth: token === undefined ? {} : { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  const err = await new Promise<Error & { data?: unknown }>(resolve => socket.once('connect_error', resolve));
  socket.close();
  expect(err.data).toEqual({ status: 401, error: 'Unauthorized', message: 'missing or invalid API key or token' });
});

test.each([
  ['no key', undefined, 401],
  ['a wrong key', 'nope', 401]
])('REST refuses %s with the error shape', async (_why, key, status) => {
  const res = await fetch(`${hub.url}/instance/fetchInstances`, { headers: key ? { apikey: key } : {} });
  expect(res.status).toBe(status);
  expect(await res.json()).toEqual({ status, error: 'Unauthorized', message: 'missing or invalid API key or token' });
});

test.each([
  ['POST', '/instance/create', { instanceName: 'bad name!' }, 400],
  ['POST', '/instance/create', {}, 400],
  ['POST', '/instance/create', { instanceName: 'alpha' }, 409],
  ['GET', '/instance/connectionState/ghost', undefined, 404],
  ['POST', '/message/sendText/alpha', { number: 'abc', text: 'x' }, 400],
  ['POST', '/message/sendText/alpha', { number: '5571900000100' }, 400],
  ['GET', '/nope', undefined, 404]
])('%s %s with bad input answers the error shape', async (method, path, body, status) => {
  const res = await hub.request(method, path, body);
  expect(res.status).toBe(status);
  expect(res.json).toEqual({ status, error: expect.any(String), message: expect.any(String) });
});

// Last in the file, so it covers the events of every test above.
test('every event the clients received matches its schema', () => {
  const events = clients.flatMap(c => c.events);
  expect(events.length).toBeGreaterThan(0);
  for (const e of events) expect(validateEvent(e)).toEqual({ ok: true });
});
