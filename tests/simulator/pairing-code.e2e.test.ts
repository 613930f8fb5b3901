import { DisconnectReason } from '@whiskeysockets/baileys';
import { TestClient } from '../helpers/baileys-client.js';
import { startSimulator } from '../helpers/simulator.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';

let sim: WhatsAppSimulator;
const clients: TestClient[] = [];
beforeAll(async () => {
  sim = await startSimulator();
});
afterEach(() => clients.splice(0).forEach(c => c.stop()));
afterAll(() => sim.stop());

async function codeClient(phone: string): Promise<{ client: TestClient; code: string }> {
  sim.createAccount({ phone, pushName: 'Coded' });
  const client = new TestClient(sim.url).start();
  clients.push(client);
  // As Baileys documents: ask for a code once the connection is up (it is showing a QR).
  await client.waitFor('connection.update', u => !!u.qr);
  const code = await client.sock.requestPairingCode(phone);
  return { client, code };
}

test('pairing by code: the phone types the code the client showed, the client pairs, restarts and opens', async () => {
  const { client, code } = await codeClient('5512950000001');
  expect(code).toMatch(/^[0-9A-Z]{8}$/);
  expect(await sim.enterPairingCode('5512950000001', code)).toEqual({ deviceId: expect.any(Number) });
  await client.waitFor('connection.update', u => u.connection === 'open');
  expect(client.closes).toEqual([DisconnectReason.restartRequired]);
  expect(client.auth.creds.me?.id).toMatch(/^5512950000001:\d+@s\.whatsapp\.net$/);
});

test('a wrong code is refused and the client stays unpaired', async () => {
  const { client, code } = await codeClient('5512950000002');
  const wrong = code === 'AAAAAAAA' ? 'BBBBBBBB' : 'AAAAAAAA';
  await expect(sim.enterPairingCode('5512950000002', wrong)).rejects.toMatchObject({ status: 400 });
  expect(sim.account('5512950000002').companion).toBeUndefined();
  await new Promise(r => setTimeout(r, 500));
  expect(client.all('connection.update').some(u => u.connection === 'open')).toBe(false);
});

test('a code for a phone no client asked about is a 404 (after waiting a moment for one)', async () => {
  sim.createAccount({ phone: '5512950000003' });
  await expect(sim.enterPairingCode('5512950000003', 'ABCD1234')).rejects.toMatchObject({ status: 404 });
});
