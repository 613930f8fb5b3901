import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import type { OutboxEntry } from '../../simulator/model.js';
import { startHub, type EventClient, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';

const PHONE = '5531950000001';
const ANA = '5531950000010';
const BIA = '5531950000011';
let sim: WhatsAppSimulator;
let hub: TestHub;
let token: string;
let io: EventClient;

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: [{ phone: ANA }, { phone: BIA }] });
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0' } });
  ({ token, client: io } = await pairInstance(hub, sim, 'cards', PHONE));
});
afterAll(async () => {
  io?.close();
  await hub.close();
  await sim.stop();
});

const received = async (id: string): Promise<OutboxEntry> => {
  await waitUntil(() => sim.outbox(PHONE).some(o => o.id === id), 10_000);
  return sim.outbox(PHONE).find(o => o.id === id)!;
};

test('a single card arrives with its name as WhatsApp shows it, and a vCard with FN, N and TEL;type=CELL;waid=', async () => {
  const res = await hub.request('POST', '/message/sendContact/cards', { number: ANA, contact: { fullName: 'Zeca Silva', phoneNumber: '+55 31 99999-0000' } }, token);
  expect(res.status).toBe(201);
  const out = await received(res.json.key.id);
  expect(out.contacts).toEqual([{ displayName: 'Zeca Silva', fn: 'Zeca Silva', n: ['Silva', 'Zeca', '', '', ''], waid: '5531999990000' }]);
  const vcard = (out.message as { contactMessage: { vcard: string } }).contactMessage.vcard;
  expect(vcard.split('\n')).toContain('TEL;type=CELL;waid=5531999990000:+5531999990000');
});

test('a name with vCard separators and a line break stays one name and adds no field', async () => {
  const fullName = 'Ana; Maria,\nTEL;waid=5500000000000:+5500000000000';
  const res = await hub.request('POST', '/message/sendContact/cards', { number: ANA, contact: { fullName, phoneNumber: '5531988887777' } }, token);
  const [card] = (await received(res.json.key.id)).contacts!;
  expect(card).toMatchObject({ displayName: fullName, fn: fullName, waid: '5531988887777' });
});

test('every card of a bulk send carries the name', async () => {
  const created = await io.emit('queue.create', {
    instance: 'cards',
    numbers: [ANA, BIA],
    message: { contact: { fullName: 'Rui Costa', phoneNumber: '5531977776666' } },
    options: { minDelayMs: 0, maxDelayMs: 10 }
  });
  expect(created.ok).toBe(true);
  const queueId: string = created.data.queueId;
  await io.waitFor('send.message:COMPLETED', e => e.data.queue.queueId === queueId, 20_000);
  const { recipients } = hub.app.hub.queues.get('cards', queueId);
  expect(recipients?.map(r => r.state)).toEqual(['sent', 'sent']);
  for (const id of recipients!.map(r => r.messageId!)) {
    expect((await received(id)).contacts).toEqual([{ displayName: 'Rui Costa', fn: 'Rui Costa', n: ['Costa', 'Rui', '', '', ''], waid: '5531977776666' }]);
  }
});
