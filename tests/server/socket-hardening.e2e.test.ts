import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { startSimulator } from '../helpers/simulator.js';
import { WsClient } from '../helpers/ws-client.js';

let sim: WhatsAppSimulator;
let hub: TestHub;
const closers: { close(): void }[] = [];

beforeAll(async () => {
  sim = await startSimulator();
  hub = await startHub(sim);
});
afterAll(async () => {
  closers.forEach(c => c.close());
  await hub.close();
  await sim.stop();
});

const REVOKED = { status: 401, error: 'Unauthorized', message: 'the instance of this token was deleted' };

test("a deleted instance's token closes its open sockets, and they see nothing of the instance created again under its name", async () => {
  const created = await hub.request('POST', '/instance/create', { instanceName: 'victim' });
  expect(created.status).toBe(201);
  const oldToken = created.json.token as string;

  const ws = new WsClient(hub.url, { token: oldToken });
  const io = new EventClient(hub.url, oldToken);
  const admin = new EventClient(hub.url, ADMIN_KEY);
  closers.push(ws, io, admin);
  await ws.open();
  await io.connected();
  await admin.connected();
  expect(await ws.call('subscribe', { instance: 'victim' })).toMatchObject({ ok: true });
  expect(await io.emit('subscribe', { instance: 'victim' })).toMatchObject({ ok: true });
  expect(await admin.emit('subscribe', { instance: 'victim' })).toMatchObject({ ok: true });
  const wsClosed = new Promise<{ code: number; reason: string }>(resolve => ws.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const ioError = new Promise<unknown>(resolve => io.socket.once('error', resolve));
  const ioGone = new Promise<string>(resolve => io.socket.once('disconnect', resolve));

  expect((await hub.request('DELETE', '/instance/delete/victim')).status).toBe(200);
  const { code, reason } = await wsClosed;
  expect(code).toBe(4401);
  expect(JSON.parse(reason)).toEqual(REVOKED);
  expect(await ioError).toEqual(REVOKED);
  expect(await ioGone).toBe('io server disconnect');

  // The name again, a new instance: its QR reaches its own subscribers only.
  const again = await hub.request('POST', '/instance/create', { instanceName: 'victim' });
  expect(again.status).toBe(201);
  const fresh = new EventClient(hub.url, again.json.token);
  closers.push(fresh);
  await fresh.connected();
  expect(await fresh.emit('subscribe', { instance: 'victim' })).toMatchObject({ ok: true });
  await hub.request('GET', '/instance/connect/victim');
  await fresh.waitFor('qrcode.updated');
  expect(ws.events.filter(e => e.event === 'qrcode.updated')).toEqual([]);
  expect(io.of('qrcode.updated')).toEqual([]);
  // The admin followed the deleted instance by its id: the new one needs its own subscribe.
  expect(admin.of('qrcode.updated')).toEqual([]);

  // The old token opens nothing any more, on either transport.
  const late = new WsClient(hub.url, { token: oldToken });
  closers.push(late);
  const lateClosed = new Promise<number>(resolve => late.ws.once('close', resolve));
  expect(await lateClosed).toBe(4401);
  const lateIo = new EventClient(hub.url, oldToken);
  closers.push(lateIo);
  await expect(lateIo.connected()).rejects.toMatchObject({ data: { status: 401 } });
  // A socket that outlived its close keeps its principal: the command layer checks it against the instance now.
  const stale = { kind: 'instance' as const, instance: 'victim', instanceId: created.json.instance.id as string };
  await expect(hub.app.hub.commands.run('instance.state', { instance: 'victim' }, stale)).rejects.toMatchObject({ statusCode: 401 });
  await expect(hub.app.hub.commands.run('instance.list', {}, stale)).rejects.toMatchObject({ statusCode: 401 });
  await hub.request('DELETE', '/instance/delete/victim');
});

test('Socket.IO: subscribe and unsubscribe without arguments are answered with 400', async () => {
  const io = new EventClient(hub.url, ADMIN_KEY);
  closers.push(io);
  await io.connected();
  for (const verb of ['subscribe', 'unsubscribe']) {
    expect(await io.socket.timeout(5000).emitWithAck(verb)).toEqual({ ok: false, error: { status: 400, error: 'Bad Request', message: `${verb} takes {instance, after?}` } });
  }
});
