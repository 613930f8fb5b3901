import { randomBytes } from 'node:crypto';
import { Curve, DisconnectReason, WA_CERT_DETAILS } from '@whiskeysockets/baileys';
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

// What WA_ROOT_PUBLIC_KEY can and cannot do rests on this: if Baileys ever checks
// signatures, this fails and the README's Configuration section must change with it.
test('Baileys rc14 does not enforce the certificate root: any signature passes, so a client trusting only WhatsApp\'s root pairs here', async () => {
  const whatsappRoot = '142375574d0a587166aae71ebe516437c4a28b73e3695c6ce1f7f9545da8ee6b';
  expect(WA_CERT_DETAILS.PUBLIC_KEY.toString('hex')).toBe(whatsappRoot);
  expect(Curve.verify(WA_CERT_DETAILS.PUBLIC_KEY, randomBytes(40), randomBytes(64))).toBe(true);
  // The simulator signs with its own root, which is not WhatsApp's, and the client opens all the same.
  expect(sim.rootPublicKeyHex).not.toBe(whatsappRoot);
  const client = await pairedClient(sim, { phone: '5511900000003' });
  clients.push(client);
  expect(client.auth.creds.me?.id).toContain('5511900000003');
});
