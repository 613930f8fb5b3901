import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { AnyTransport, TRANSPORTS } from '../helpers/any-transport.js';
import { startHub, type EventClient, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator } from '../helpers/simulator.js';

const PHONE = '5531992000001';
const ANA = '5531992000010';
const BRUNO = '5531992000011';
/** On WhatsApp but no contact of the account: the history sync carries no mapping for it; WhatsApp answers when asked. */
const CAIO = '5531992000012';
let sim: WhatsAppSimulator;
let hub: TestHub;
let token: string;
let io: EventClient;
const lidOf = (phone: string) => sim.account(PHONE).listContacts().find(c => c.phone === phone)!.lidJid;

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({
    phone: PHONE,
    contacts: [{ phone: ANA }, { phone: BRUNO, addressing: 'lid' }],
    history: { chats: [{ phone: ANA }, { phone: BRUNO }] }
  });
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0' } });
  ({ token, client: io } = await pairInstance(hub, sim, 'lids', PHONE));
});
afterAll(async () => {
  io?.close();
  await hub.close();
  await sim.stop();
});

test('contacts.lid resolves both ways, the same on every transport: LID → phone number, number or PN JID → LID', async () => {
  const any = await AnyTransport.open(hub.url, token);
  try {
    expect(sim.account(PHONE).listContacts().map(c => c.phone)).not.toContain(CAIO);
    for (const transport of TRANSPORTS) {
      const res = await any.call(transport, 'contacts.lid', { instance: 'lids', jids: [lidOf(BRUNO), ANA, `${BRUNO}@s.whatsapp.net`, `+55 31 99200-0012`] });
      expect(res.ok).toBe(true);
      expect(res.data).toEqual([
        { query: lidOf(BRUNO), lid: lidOf(BRUNO), pn: `${BRUNO}@s.whatsapp.net` },
        { query: ANA, lid: lidOf(ANA), pn: `${ANA}@s.whatsapp.net` },
        { query: `${BRUNO}@s.whatsapp.net`, lid: lidOf(BRUNO), pn: `${BRUNO}@s.whatsapp.net` },
        // Not in the history: Baileys asks WhatsApp (usync) and learns it.
        { query: '+55 31 99200-0012', lid: lidOf(CAIO), pn: `${CAIO}@s.whatsapp.net` }
      ]);
    }
  } finally {
    any.close();
  }
});

test('a LID WhatsApp never told us about has no phone number; a group has neither', async () => {
  const res = await hub.request('POST', '/chat/lid/lids', { jids: ['100000000000001@lid', '120363000000000001@g.us'] }, token);
  expect(res).toEqual({
    status: 200,
    json: [
      { query: '100000000000001@lid', lid: '100000000000001@lid', pn: null },
      { query: '120363000000000001@g.us', lid: null, pn: null }
    ]
  });
});

test('bad input is a 400; a closed instance is a 409, in the error shape', async () => {
  expect(await hub.request('POST', '/chat/lid/lids', { jids: [] }, token)).toMatchObject({ status: 400, json: { status: 400, error: 'Bad Request' } });
  expect(await hub.request('POST', '/chat/lid/lids', { jids: ['not a jid'] }, token)).toMatchObject({ status: 400 });
  expect(await hub.request('POST', '/chat/lid/lids', { jid: ANA }, token)).toMatchObject({ status: 400 });
  await hub.request('POST', '/instance/create', { instanceName: 'idle' });
  expect(await hub.request('POST', '/chat/lid/idle', { jids: [ANA] })).toMatchObject({ status: 409, json: { status: 409, error: 'Conflict' } });
});

test('a LID-addressed message names the sender by phone number in new.message, with no bare LID', async () => {
  const { messageId } = await sim.sendText(PHONE, BRUNO, 'from a LID');
  const e = await io.waitFor('new.message', m => m.data.header.messageId === messageId);
  expect(e.data.header.wuid).toBe(`${BRUNO}@s.whatsapp.net`);
  expect(e.data.header.lid).toBeUndefined();
});
