import type { TestClient } from '../helpers/baileys-client.js';
import { pairedClient, startSimulator } from '../helpers/simulator.js';
import { buildControlApi } from '../../simulator/control-api.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';

const ME = '5521910000001';
const ANA = '5521910000010';
let sim: WhatsAppSimulator;
let client: TestClient;

beforeAll(async () => {
  sim = await startSimulator({ autoContacts: false });
  client = await pairedClient(sim, { phone: ME, pushName: 'Me', contacts: [{ phone: ANA, pushName: 'Ana' }] });
});
afterAll(async () => {
  client.stop();
  await sim.stop();
});

test('a contact edits a message: Baileys reports messages.update with the edited body under the original ID', async () => {
  const { messageId } = await sim.sendText(ME, ANA, 'typo');
  await client.waitFor('messages.upsert', u => u.messages.some(m => m.key.id === messageId));
  await sim.editText(ME, ANA, messageId, 'fixed');
  const update = await client.waitFor('messages.update', u => u.some(x => x.key.id === messageId && !!x.update.message));
  const edit = update.find(x => x.key.id === messageId)!;
  expect(edit.key).toMatchObject({ remoteJid: `${ANA}@s.whatsapp.net`, fromMe: false });
  expect(edit.update.message?.editedMessage?.message).toMatchObject({ conversation: 'fixed' });
});

test('a contact removes then sets its picture: contacts.update says removed, then changed, and the URL moves to the new picture', async () => {
  const jid = `${ANA}@s.whatsapp.net`;
  const before = await client.sock.profilePictureUrl(jid, 'image');
  let mark = client.mark;
  await sim.changePicture(ME, ANA, false);
  await client.waitFor('contacts.update', u => u.some(c => c.id === jid && c.imgUrl === 'removed'), { since: mark });
  await expect(client.sock.profilePictureUrl(jid, 'image')).rejects.toBeTruthy();
  mark = client.mark;
  const { pictureId } = await sim.changePicture(ME, ANA, true);
  await client.waitFor('contacts.update', u => u.some(c => c.id === jid && c.imgUrl === 'changed'), { since: mark });
  const after = await client.sock.profilePictureUrl(jid, 'image');
  expect(after).toContain(`id=${pictureId}`);
  expect(after).not.toBe(before);
});

test('the own phone sends a text: the linked client gets it as fromMe in the chat with the contact', async () => {
  const { messageId } = await sim.sendFromPhone(ME, ANA, 'from my phone');
  const upsert = await client.waitFor('messages.upsert', u => u.messages.some(m => m.key.id === messageId));
  const msg = upsert.messages.find(m => m.key.id === messageId)!;
  expect(msg.key).toMatchObject({ remoteJid: `${ANA}@s.whatsapp.net`, fromMe: true });
  expect(msg.message?.conversation).toBe('from my phone');
  expect(msg.pushName).toBe('Me');
});

test('the control routes: each answers its result, and refuses bad input in the error shape', async () => {
  const api = buildControlApi(sim);
  const base = await api.listen({ port: 0, host: '127.0.0.1' });
  try {
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${base}/accounts/${ME}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, json: await res.json() };
    };
    const sent = await post('/phone-messages', { to: ANA, text: 'over HTTP' });
    expect(sent).toEqual({ status: 200, json: { messageId: expect.stringMatching(/^3EB0[0-9A-F]{28}$/) } });
    await client.waitFor('messages.upsert', u => u.messages.some(m => m.key.id === sent.json.messageId));
    expect(await post('/picture', { from: ANA, picture: false })).toEqual({ status: 200, json: { pictureId: null } });
    expect(await post('/edit', { from: ANA, messageId: sent.json.messageId, text: 'x' })).toEqual({ status: 200, json: { messageId: expect.any(String) } });
    expect(await post('/edit', { from: ANA, text: 'no id' })).toMatchObject({ status: 400, json: { status: 400, error: 'Bad Request' } });
    expect(await post('/picture', { from: '5521910000077', picture: true })).toMatchObject({ status: 404, json: { status: 404, error: 'Not Found' } });
  } finally {
    await api.close();
  }
});
