import { validateEvent } from '../../protocol/index.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { startHub, type EventClient, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';

const PHONE = '5531960000001';
const ANA = '5531960000010';
const BRUNO = '5531960000011';
let sim: WhatsAppSimulator;
let hub: TestHub;
let token: string;
let io: EventClient;

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: [{ phone: ANA, pushName: 'Ana' }, { phone: BRUNO, pushName: 'Bruno', addressing: 'lid' }] });
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0' } });
  ({ token, client: io } = await pairInstance(hub, sim, 'calls', PHONE));
});
afterAll(async () => {
  io?.close();
  await hub.close();
  await sim.stop();
});

const settings = (body: Record<string, unknown>) => hub.request('POST', '/settings/set/calls', body, token);

test('a call rings as a `call` offer and, with rejectCalls off, is left ringing', async () => {
  const { callId } = await sim.call(PHONE, ANA, false);
  const offer = await io.waitFor('call', e => e.data.id === callId);
  expect(validateEvent(offer)).toEqual({ ok: true });
  expect(offer.data).toEqual({ id: callId, from: `${ANA}@s.whatsapp.net`, status: 'offer', isVideo: false, isGroup: false });
  // The hub answers nothing: the next call's events come first, and this one is still not rejected.
  const { callId: next } = await sim.call(PHONE, ANA, true);
  await io.waitFor('call', e => e.data.id === next);
  expect(sim.calls(PHONE).find(c => c.id === callId)?.rejectedAt).toBeNull();
  expect(io.of('call').filter(e => e.data.id === callId).map(e => e.data.status)).toEqual(['offer']);
});

test('with rejectCalls and a rejectMessage, the call is rejected on WhatsApp, reported as `reject`, and the caller gets the text', async () => {
  const set = await settings({ rejectCalls: true, rejectMessage: 'No calls here, write instead' });
  expect(set.status).toBe(200);
  expect(set.json).toMatchObject({ rejectCalls: true, rejectMessage: 'No calls here, write instead' });

  const { callId } = await sim.call(PHONE, ANA, true);
  const rejected = await io.waitFor('call', e => e.data.id === callId && e.data.status === 'reject');
  expect(validateEvent(rejected)).toEqual({ ok: true });
  expect(rejected.data).toEqual({ id: callId, from: `${ANA}@s.whatsapp.net`, status: 'reject', isVideo: true, isGroup: false });
  const statuses = io.of('call').filter(e => e.data.id === callId).map(e => e.data.status);
  expect(statuses).toEqual(['offer', 'reject']);
  expect(sim.calls(PHONE).find(c => c.id === callId)?.rejectedAt).toEqual(expect.any(Number));
  await waitUntil(() => sim.outbox(PHONE).some(o => o.to.startsWith(ANA) && o.text === 'No calls here, write instead'), 10_000);
});

test('a LID-addressed caller is reported by its phone number with the LID beside it, and is rejected too', async () => {
  const { callId } = await sim.call(PHONE, BRUNO, false);
  const bruno = sim.account(PHONE).listContacts().find(c => c.phone === BRUNO)!;
  const offer = await io.waitFor('call', e => e.data.id === callId);
  expect(offer.data).toEqual({ id: callId, from: `${BRUNO}@s.whatsapp.net`, lid: bruno.lidJid, status: 'offer', isVideo: false, isGroup: false });
  await io.waitFor('call', e => e.data.id === callId && e.data.status === 'reject');
  expect(sim.calls(PHONE).find(c => c.id === callId)?.rejectedAt).toEqual(expect.any(Number));
  await waitUntil(() => sim.outbox(PHONE).filter(o => o.text === 'No calls here, write instead').length >= 2, 10_000);
});

test('rejectMessage null rejects without a text; the settings are what settings.find answers', async () => {
  expect((await settings({ rejectMessage: null })).json.rejectMessage).toBeNull();
  const found = await hub.request('GET', '/settings/find/calls', undefined, token);
  expect(found).toMatchObject({ status: 200, json: { rejectCalls: true, rejectMessage: null } });
  const texts = () => sim.outbox(PHONE).filter(o => o.text === 'No calls here, write instead').length;
  const before = texts();
  const { callId } = await sim.call(PHONE, ANA, false);
  await io.waitFor('call', e => e.data.id === callId && e.data.status === 'reject');
  // A text sent after the reject would be in the outbox by the time a second call is rejected.
  const { callId: second } = await sim.call(PHONE, ANA, false);
  await io.waitFor('call', e => e.data.id === second && e.data.status === 'reject');
  expect(texts()).toBe(before);
});

describe('group calls', () => {
  let group: string;
  beforeAll(async () => {
    ({ id: group } = await sim.createGroup(PHONE, { subject: 'Call group', participants: [ANA, BRUNO], by: ANA }));
    await io.waitFor('groups.upsert', e => e.data.some((g: { id: string }) => g.id === group));
  });

  test('a group call is a `call` offer with isGroup and the group JID; rejectCalls rejects it like any call', async () => {
    expect((await settings({ rejectCalls: true, ignoreGroups: false })).status).toBe(200);
    const { callId } = await sim.call(PHONE, ANA, true, group);
    const offer = await io.waitFor('call', e => e.data.id === callId);
    expect(validateEvent(offer)).toEqual({ ok: true });
    expect(offer.data).toEqual({ id: callId, from: `${ANA}@s.whatsapp.net`, status: 'offer', isVideo: true, isGroup: true, groupJid: group });
    const rejected = await io.waitFor('call', e => e.data.id === callId && e.data.status === 'reject');
    expect(rejected.data).toMatchObject({ isGroup: true, groupJid: group });
    expect(sim.calls(PHONE).find(c => c.id === callId)).toMatchObject({ group, rejectedAt: expect.any(Number) });
  });

  test('with ignoreGroups a group call is no event, and is still rejected; a call to the account alone is still an event', async () => {
    expect((await settings({ ignoreGroups: true })).json).toMatchObject({ ignoreGroups: true, rejectCalls: true });
    const { callId: groupCall } = await sim.call(PHONE, BRUNO, false, group);
    await waitUntil(() => sim.calls(PHONE).find(c => c.id === groupCall)?.rejectedAt !== null, 10_000);
    // Calls are handled in order: once the next call's offer is out, the group call's turn has passed.
    const { callId: direct } = await sim.call(PHONE, ANA, false);
    await io.waitFor('call', e => e.data.id === direct && e.data.status === 'reject');
    expect(io.of('call').filter(e => e.data.id === groupCall)).toEqual([]);

    // With rejectCalls off, an ignored group call is left ringing, and still no event.
    expect((await settings({ rejectCalls: false })).status).toBe(200);
    const { callId: ringing } = await sim.call(PHONE, ANA, false, group);
    const { callId: next } = await sim.call(PHONE, ANA, false);
    await io.waitFor('call', e => e.data.id === next);
    expect(io.of('call').filter(e => e.data.id === ringing)).toEqual([]);
    expect(sim.calls(PHONE).find(c => c.id === ringing)?.rejectedAt).toBeNull();
  });
});
