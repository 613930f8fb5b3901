import type { TestClient } from '../helpers/baileys-client.js';
import { pairedClient, startSimulator, waitUntil } from '../helpers/simulator.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';

const ME = '5521910000001';
const ANA = '5521910000010';
const BRUNO = '5521910000011';

let sim: WhatsAppSimulator;
let client: TestClient;
let control: string;
const afterAllClose: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  sim = await startSimulator({ autoContacts: false });
  const { buildControlApi } = await import('../../simulator/control-api.js');
  const api = buildControlApi(sim);
  control = await api.listen({ port: 0, host: '127.0.0.1' });
  afterAllClose.push(() => api.close());
  client = await pairedClient(sim, {
    phone: ME,
    contacts: [
      { phone: ANA, pushName: 'Ana' },
      { phone: BRUNO, pushName: 'Bruno', addressing: 'lid' }
    ]
  });
});
afterAll(async () => {
  client.stop();
  for (const close of afterAllClose) await close();
  await sim.stop();
});

const post = async (path: string, body: unknown) => {
  const res = await fetch(`${control}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as any };
};

test('POST /accounts/:phone/call offers a voice call that Baileys emits as a call offer, and the client\'s reject is recorded', async () => {
  const res = await post(`/accounts/${ME}/call`, { from: ANA });
  expect(res.status).toBe(200);
  const callId: string = res.json.callId;
  const [call] = await client.waitFor('call', calls => calls.some(c => c.id === callId));
  expect(call).toMatchObject({ id: callId, from: `${ANA}@s.whatsapp.net`, status: 'offer', isVideo: false, isGroup: false });
  expect(sim.calls(ME).find(c => c.id === callId)?.rejectedAt).toBeNull();

  await client.sock.rejectCall(callId, call!.from);
  const recorded = await (await fetch(`${control}/accounts/${ME}/calls`)).json();
  expect(recorded).toEqual(expect.arrayContaining([expect.objectContaining({ id: callId, from: ANA, isVideo: false, rejectedAt: expect.any(Number) })]));
});

test('a video call from a LID-addressed contact names its LID and carries its phone number', async () => {
  const { callId } = await sim.call(ME, BRUNO, true);
  const [call] = await client.waitFor('call', calls => calls.some(c => c.id === callId));
  const bruno = sim.account(ME).listContacts().find(c => c.phone === BRUNO)!;
  expect(call).toMatchObject({ id: callId, from: bruno.lidJid, callerPn: `${BRUNO}@s.whatsapp.net`, isVideo: true });
  await waitUntil(() => sim.calls(ME).some(c => c.id === callId));
});

test('a call to an unknown contact or with a bad body is a 400 or 404 in the error shape', async () => {
  expect(await post(`/accounts/${ME}/call`, { from: 'abc' })).toMatchObject({ status: 400, json: { status: 400, error: 'Bad Request' } });
  expect(await post(`/accounts/${ME}/call`, { from: ANA, isVideo: 'yes' })).toMatchObject({ status: 400 });
  expect(await post(`/accounts/${ME}/call`, { from: '5521910000099' })).toMatchObject({ status: 404, json: { status: 404, error: 'Not Found' } });
});

test('a group call names its group in the offer: Baileys emits isGroup and the group JID, and the call is recorded with it', async () => {
  const { id: group } = await sim.createGroup(ME, { subject: 'Calls', participants: [ANA], by: ANA });
  const res = await post(`/accounts/${ME}/call`, { from: ANA, isVideo: true, group });
  expect(res.status).toBe(200);
  const callId: string = res.json.callId;
  const [call] = await client.waitFor('call', calls => calls.some(c => c.id === callId));
  expect(call).toMatchObject({ id: callId, from: `${ANA}@s.whatsapp.net`, status: 'offer', isVideo: true, isGroup: true, groupJid: group });
  expect(sim.calls(ME).find(c => c.id === callId)).toMatchObject({ group, rejectedAt: null });
  // A 1:1 call is recorded without one.
  const { callId: direct } = await sim.call(ME, ANA, false);
  expect(sim.calls(ME).find(c => c.id === direct)?.group).toBeNull();

  // Only a member can call a group; an unknown group is a 404.
  expect(await post(`/accounts/${ME}/call`, { from: BRUNO, group })).toMatchObject({ status: 403, json: { status: 403 } });
  expect(await post(`/accounts/${ME}/call`, { from: ANA, group: '120363000000000000@g.us' })).toMatchObject({ status: 404, json: { status: 404 } });
});
