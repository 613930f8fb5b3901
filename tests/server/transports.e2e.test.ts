import { validateEvent } from '../../protocol/index.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';
import { WsClient } from '../helpers/ws-client.js';

const PHONE = '5511910000001';
const OTHER = '5511910000002';
const CONTACT = '5511910000010';
let sim: WhatsAppSimulator;
let hub: TestHub;
let token: string;
const closers: { close(): void }[] = [];

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: [{ phone: CONTACT, pushName: 'Eva' }] });
  sim.createAccount({ phone: OTHER, contacts: [{ phone: CONTACT }] });
  hub = await startHub(sim);
  const a = await pairInstance(hub, sim, 'main', PHONE);
  const b = await pairInstance(hub, sim, 'other', OTHER);
  token = a.token;
  closers.push(a.client, b.client);
});
afterAll(async () => {
  closers.forEach(c => c.close());
  await hub.close();
  await sim.stop();
});

test('Socket.IO: a command with an acknowledgement, and its effect in the simulator', async () => {
  const client = new EventClient(hub.url, token);
  closers.push(client);
  await client.connected();
  expect(await client.emit('instance.state', { instance: 'main' })).toMatchObject({ ok: true, data: { name: 'main', state: 'open' } });
  const sent = await client.emit('message.sendText', { instance: 'main', number: CONTACT, text: 'via socket.io' });
  expect(sent).toMatchObject({ ok: true, data: { key: { id: expect.any(String), fromMe: true } } });
  await waitUntil(() => sim.outbox(PHONE).some(o => o.id === sent.data.key.id && o.text === 'via socket.io'));
  expect(await client.emit('message.sendText', { instance: 'main', number: CONTACT })).toEqual({
    ok: false,
    error: { status: 400, error: 'Bad Request', message: expect.stringContaining('text') }
  });
  expect(await client.emit('no.such.command', {})).toMatchObject({ ok: false, error: { status: 400 } });
  expect(await client.emit('instance.state', { instance: 'other' })).toMatchObject({ ok: false, error: { status: 403 } });
});

test('WebSocket: subscribe, receive the same envelopes, and call commands as frames', async () => {
  for (const query of [false, true]) {
    const ws = new WsClient(hub.url, { token, query });
    closers.push(ws);
    await ws.open();
    expect(await ws.call('subscribe', { instance: 'main' })).toMatchObject({ ok: true, data: { instance: 'main' } });
    const { messageId } = await sim.sendText(PHONE, CONTACT, `to ws ${query}`);
    await ws.waitForEvent(e => e.event === 'new.message' && (e.data as { header: { messageId: string } }).header.messageId === messageId);
    for (const e of ws.events) expect(validateEvent(e)).toEqual({ ok: true });
    const reply = await ws.call('message.sendText', { instance: 'main', number: CONTACT, text: 'via ws' });
    expect(reply).toMatchObject({ ok: true, data: { key: { fromMe: true } } });
    await waitUntil(() => sim.outbox(PHONE).some(o => o.id === reply.data.key.id));
  }
});

test('WebSocket: several connections on one instance all receive every event', async () => {
  const sockets = [new WsClient(hub.url, { token }), new WsClient(hub.url, { token: ADMIN_KEY }), new WsClient(hub.url, { token })];
  closers.push(...sockets);
  for (const s of sockets) {
    await s.open();
    await s.call('subscribe', { instance: 'main' });
  }
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await sim.sendText(PHONE, CONTACT, `fan out ${i}`)).messageId);
  for (const s of sockets) {
    await s.waitForEvent(e => (e.data as { header?: { messageId: string } }).header?.messageId === ids[4]);
    // Inbound only: the hub's own sends of the tests before are new.message too (fromMe), and may land here.
    const got = s.events
      .filter(e => e.event === 'new.message' && !(e.data as { header: { fromMe: boolean } }).header.fromMe)
      .map(e => (e.data as { header: { messageId: string } }).header.messageId);
    expect(got).toEqual(ids);
  }
});

test('WebSocket: a bad token is refused with the error shape', async () => {
  const ws = new WsClient(hub.url, { token: 'wrong' });
  const closed = new Promise<number>(resolve => ws.ws.once('close', code => resolve(code)));
  const first = await new Promise<any>(resolve => ws.ws.once('message', m => resolve(JSON.parse(m.toString()))));
  expect(first).toEqual({ id: null, ok: false, error: { status: 401, error: 'Unauthorized', message: 'missing or invalid API key or token' } });
  expect(await closed).toBe(4401);
});

test('WebSocket: malformed frames get the error shape and the connection carries on', async () => {
  const ws = new WsClient(hub.url, { token });
  closers.push(ws);
  await ws.open();
  expect(await ws.raw('{not json')).toMatchObject({ id: null, ok: false, error: { status: 400, message: 'frame is not valid JSON' } });
  expect(await ws.raw(JSON.stringify({ id: 'x1', nope: true }), 'x1')).toMatchObject({ ok: false, error: { status: 400 } });
  expect(await ws.call('made.up')).toMatchObject({ ok: false, error: { status: 400, message: expect.stringContaining('unknown command') } });
  expect(await ws.call('instance.state', { instance: 5 })).toMatchObject({ ok: false, error: { status: 400 } });
  // An instance token learns nothing about other instances, existing or not.
  expect(await ws.call('instance.state', { instance: 'ghost' })).toMatchObject({ ok: false, error: { status: 403 } });
  const admin = new WsClient(hub.url, { token: ADMIN_KEY });
  closers.push(admin);
  await admin.open();
  expect(await admin.call('instance.state', { instance: 'ghost' })).toMatchObject({ ok: false, error: { status: 404 } });
  expect(await ws.call('instance.state', { instance: 'other' })).toMatchObject({ ok: false, error: { status: 403 } });
  expect(await ws.call('subscribe', { instance: 'other' })).toMatchObject({ ok: false, error: { status: 403 } });
  // Too large to be read, so its id is unknown: the reply carries id null.
  expect(await ws.raw(JSON.stringify({ id: 'big', command: 'instance.list', args: { pad: 'x'.repeat(5_000_000) } }))).toMatchObject({
    ok: false,
    error: { status: 400, message: expect.stringContaining('larger than') }
  });
  expect(await ws.call('instance.state', { instance: 'main' })).toMatchObject({ ok: true, data: { state: 'open' } });
});

test('replay: a client away for 500 events resubscribes with its last seq and gets every event exactly once, in order, while events keep flowing', async () => {
  const client = new EventClient(hub.url, token);
  closers.push(client);
  await client.connected();
  await client.emit('subscribe', { instance: 'main' });
  const { messageId: marker } = await sim.sendText(PHONE, CONTACT, 'before leaving');
  await client.waitFor('new.message', e => e.data.header.messageId === marker);
  const lastSeen = client.events.at(-1)!.seq;
  client.close();

  for (let i = 0; i < 500; i++) await sim.sendText(PHONE, CONTACT, `while away ${i}`);
  const registry = hub.app.hub.registry;
  await waitUntil(() => registry.lastSeq(registry.get('main')) >= lastSeen + 500, 60_000);

  // Events keep arriving while the client comes back.
  let flowing = true;
  const during: string[] = [];
  const flow = (async () => {
    for (let i = 0; flowing && i < 200; i++) during.push((await sim.sendText(PHONE, CONTACT, `during ${i}`)).messageId);
  })();
  const back = new EventClient(hub.url, token);
  closers.push(back);
  await back.connected();
  const ack = await back.emit('subscribe', { instance: 'main', after: lastSeen });
  expect(ack).toMatchObject({ ok: true, data: { more: false } });
  expect(ack.data.replayed).toBeGreaterThanOrEqual(500);
  await new Promise(r => setTimeout(r, 300));
  flowing = false;
  await flow;
  const last = during.at(-1)!;
  await back.waitFor('new.message', e => e.data.header.messageId === last, 30_000);

  const seqs = back.events.map(e => e.seq);
  expect(seqs[0]).toBe(lastSeen + 1);
  for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1]! + 1); // no gap, no duplicate, in order
  const texts = back.events.filter(e => e.event === 'new.message').map(e => e.data.body.message);
  for (let i = 0; i < 500; i++) expect(texts).toContain(`while away ${i}`);
  expect(new Set(texts).size).toBe(texts.length);
});
