import { DEFAULT_SETTINGS } from '../../protocol/index.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { AnyTransport, TRANSPORTS } from '../helpers/any-transport.js';
import { ADMIN_KEY, startHub, type EventClient, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';

const PHONE = '5531970000001';
const ANA = '5531970000010';
const BIA = '5531970000011';
let sim: WhatsAppSimulator;
let hub: TestHub;
let token: string;
let io: EventClient;

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, pushName: 'Sales', contacts: [{ phone: ANA, pushName: 'Ana' }, { phone: BIA, pushName: 'Bia' }] });
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0' } });
  ({ token, client: io } = await pairInstance(hub, sim, 'prefs', PHONE));
});
afterAll(async () => {
  io?.close();
  await hub?.close();
  await sim.stop();
});

const set = (body: Record<string, unknown>) => hub.request('POST', '/settings/set/prefs', body, token);
const readReceipts = (id: string) => sim.clientReceipts(PHONE).filter(r => r.type === 'read' && r.ids.includes(id));

test('an instance starts with the defaults; an unknown setting or a wrong value is a 400 on every transport and changes nothing', async () => {
  expect(await hub.request('GET', '/settings/find/prefs', undefined, token)).toEqual({ status: 200, json: DEFAULT_SETTINGS });
  const any = await AnyTransport.open(hub.url, token);
  try {
    for (const transport of TRANSPORTS) {
      const unknown = await any.call(transport, 'instance.settings', { instance: 'prefs', rejectCall: true });
      expect(unknown).toMatchObject({ ok: false, error: { status: 400, error: 'Bad Request', message: 'body must not have additional properties: rejectCall' } });
      const wrong = await any.call(transport, 'instance.settings', { instance: 'prefs', readMessages: 'yes' });
      expect(wrong).toMatchObject({ ok: false, error: { status: 400, error: 'Bad Request', message: 'readMessages must be boolean' } });
      const empty = await any.call(transport, 'instance.settings', { instance: 'prefs', rejectMessage: '' });
      expect(empty).toMatchObject({ ok: false, error: { status: 400 } });
    }
  } finally {
    any.close();
  }
  expect((await hub.request('GET', '/settings/find/nobody', undefined, ADMIN_KEY)).json).toMatchObject({ status: 404, error: 'Not Found' });
  expect((await hub.request('GET', '/settings/find/prefs', undefined, token)).json).toEqual(DEFAULT_SETTINGS);
});

test('readMessages: off, an inbound message gets no read receipt; on, it is marked read after its delivery receipt', async () => {
  const { messageId: before } = await sim.sendText(PHONE, ANA, 'not read');
  await io.waitFor('new.message', e => e.data.header.messageId === before);
  expect((await set({ readMessages: true })).json.readMessages).toBe(true);
  const { messageId } = await sim.sendText(PHONE, ANA, 'read me');
  await waitUntil(() => readReceipts(messageId).length > 0, 10_000);
  const receipts = sim.clientReceipts(PHONE);
  const delivered = receipts.findIndex(r => r.type !== 'read' && r.ids.includes(messageId));
  expect(delivered).toBeGreaterThanOrEqual(0);
  expect(receipts.findIndex(r => r.type === 'read' && r.ids.includes(messageId))).toBeGreaterThan(delivered);
  // The earlier message was never marked read.
  expect(readReceipts(before)).toEqual([]);
  await set({ readMessages: false });
});

test('ignoreStatus: a status is neither emitted nor stored; off again, statuses come through', async () => {
  await set({ ignoreStatus: true });
  const { messageId: status } = await sim.postStatus(PHONE, ANA, 'my holiday');
  // Stanzas reach the hub in order: once this text is out, the status was handled.
  const { messageId: marker } = await sim.sendText(PHONE, BIA, 'after the status');
  await io.waitFor('new.message', e => e.data.header.messageId === marker);
  expect(io.of('status.broadcast').filter(e => e.data.header.messageId === status)).toEqual([]);
  expect(hub.app.storage.messages.content(hub.app.hub.registry.get('prefs').row.id, status)).toBeUndefined();

  await set({ ignoreStatus: false });
  const { messageId: shown } = await sim.postStatus(PHONE, ANA, 'back home');
  await io.waitFor('status.broadcast', e => e.data.header.messageId === shown);
});

test('ignoreGroups: a group message is neither emitted nor stored; 1:1 messages still are; off again, groups come through', async () => {
  const group = (await sim.createGroup(PHONE, { subject: 'family', participants: [BIA], by: ANA })).id;
  const { messageId: first } = await sim.groupMessage(PHONE, group, ANA, 'hello group');
  const seen = await io.waitFor('new.message', e => e.data.header.messageId === first);
  expect(seen.data.header).toMatchObject({ wuid: group, participant: `${ANA}@s.whatsapp.net` });
  expect(seen.data.context.fromGroup).toBe(true);

  await set({ ignoreGroups: true });
  const { messageId: ignored } = await sim.groupMessage(PHONE, group, ANA, 'nobody hears this');
  const { messageId: marker } = await sim.sendText(PHONE, BIA, 'direct');
  await io.waitFor('new.message', e => e.data.header.messageId === marker);
  expect(io.events.filter(e => JSON.stringify(e.data).includes(ignored))).toEqual([]);
  expect(hub.app.storage.messages.content(hub.app.hub.registry.get('prefs').row.id, ignored)).toBeUndefined();

  // Nor are the group's own events: a new member, a new subject, a new group.
  const before = io.events.length;
  await sim.groupParticipants(PHONE, group, { action: 'add', participants: ['5531970000012'], by: ANA });
  await sim.groupSubject(PHONE, group, { subject: 'family (ignored)', by: ANA });
  await sim.createGroup(PHONE, { subject: 'ignored too', participants: [BIA], by: ANA });
  const { messageId: marker2 } = await sim.sendText(PHONE, BIA, 'direct again');
  await io.waitFor('new.message', e => e.data.header.messageId === marker2);
  const names = io.events.slice(before).map(e => e.event);
  expect(names.filter(n => n === 'groups.upsert' || n === 'groups.update' || n === 'group-participants.update')).toEqual([]);

  await set({ ignoreGroups: false });
  await sim.groupSubject(PHONE, group, { subject: 'family again', by: ANA });
  await io.waitFor('groups.update', e => e.data.some(g => g.id === group && g.subject === 'family again'));
  const { messageId: again } = await sim.groupMessage(PHONE, group, BIA, 'back');
  await io.waitFor('new.message', e => e.data.header.messageId === again);
});

test('alwaysOnline: the account goes online at once, offline when turned off', async () => {
  const presences = () => sim.clientPresence(PHONE).filter(p => p.to === null).map(p => p.state);
  const start = presences().length;
  await set({ alwaysOnline: true });
  await waitUntil(() => presences().slice(start).includes('available'), 10_000);
  const mid = presences().length;
  await set({ alwaysOnline: false });
  await waitUntil(() => presences().slice(mid).includes('unavailable'), 10_000);
  // Setting the same value again sends nothing.
  const end = presences().length;
  await set({ alwaysOnline: false, readMessages: false });
  const { messageId } = await sim.sendText(PHONE, ANA, 'marker');
  await io.waitFor('new.message', e => e.data.header.messageId === messageId);
  expect(presences().length).toBe(end);
});

test('the settings are stored: a restarted hub has them, and its new connection comes up online', async () => {
  await set({ alwaysOnline: true, rejectCalls: true, rejectMessage: 'busy' });
  const expected = (await hub.request('GET', '/settings/find/prefs', undefined, token)).json;
  const dataDir = hub.dataDir;
  io.close();
  await hub.app.close();
  const presences = () => sim.clientPresence(PHONE).filter(p => p.to === null).map(p => p.state);
  const start = presences().length;
  const again = await startHub(sim, { dataDir, env: { RATE_LIMIT_PER_SECOND: '0' } });
  const close = hub.close;
  hub = { ...again, close: async () => (await again.close(), await close()) };
  expect((await hub.request('GET', '/settings/find/prefs', undefined, token)).json).toEqual(expected);
  // markOnlineOnConnect: the fresh socket announces itself available.
  await waitUntil(() => presences().slice(start).includes('available'), 20_000);
});
