import { DisconnectReason, WA_CERT_DETAILS } from '@whiskeysockets/baileys';
import { TestClient } from '../helpers/baileys-client.js';
import { pairedClient, startSimulator } from '../helpers/simulator.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';

let sim: WhatsAppSimulator;
const clients: TestClient[] = [];
beforeAll(async () => {
  sim = await startSimulator();
});
afterEach(() => clients.splice(0).forEach(c => c.stop()));
afterAll(() => sim.stop());

test('a fresh client shows a QR, pairs by scan, restarts on 515 and opens with the account', async () => {
  sim.createAccount({ phone: '5511900000001', pushName: 'Sales' });
  const client = new TestClient(sim.url).start();
  clients.push(client);
  const { qr } = await client.waitFor('connection.update', u => !!u.qr);
  expect(qr).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#2@[^,]+,[^,]+,[^,]+,[^,]+,\d+$/);
  await sim.scan('5511900000001', qr!);
  await client.waitFor('connection.update', u => u.isNewLogin === true);
  await client.waitFor('connection.update', u => u.connection === 'open');
  expect(client.closes).toEqual([DisconnectReason.restartRequired]);
  expect(client.auth.creds.me?.id).toMatch(/^5511900000001:\d+@s\.whatsapp\.net$/);
  expect(client.auth.creds.me?.lid).toMatch(/^\d+:\d+@lid$/);
  // The push name arrives with the phone's first peer message.
  await client.waitFor('creds.update', u => u.me?.name === 'Sales');
});

test('a scan with a QR nobody showed is refused', async () => {
  sim.createAccount({ phone: '5511900000002' });
  await expect(sim.scan('5511900000002', '2@nope,AAAA,BBBB,CCCC,1')).rejects.toMatchObject({ status: 400 });
});

test('QR refs run out: the client ends with 408', async () => {
  const small = await startSimulator({ qrRefs: 2 });
  try {
    const client = new TestClient(small.url, undefined, { qrTimeout: 300 }).start();
    clients.push(client);
    await client.waitFor('connection.update', u => u.connection === 'close', { timeoutMs: 10_000 });
    expect(client.all('connection.update').filter(u => u.qr)).toHaveLength(2);
    expect(client.closes).toEqual([DisconnectReason.timedOut]);
  } finally {
    await small.stop();
  }
});

test('the certificate chain verifies against the simulator root key', async () => {
  const original = Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY);
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(sim.rootPublicKeyHex, 'hex');
  try {
    const client = await pairedClient(sim, { phone: '5511900000003' });
    clients.push(client);
    expect(client.auth.creds.me?.id).toContain('5511900000003');
  } finally {
    WA_CERT_DETAILS.PUBLIC_KEY = original;
  }
});
