import { TestClient } from '../helpers/baileys-client.js';
import { spawnTs, type Spawned } from '../helpers/processes.js';
import { SIM_ROOT_PUBLIC_KEY_HEX } from '../../simulator/root-key.js';

const ME = '5541900000001';
const DANI = '5541900000020';
let proc: Spawned;
let api: string;
const clients: TestClient[] = [];

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  });
  return { status: res.status, json: await res.json() };
}

beforeAll(async () => {
  proc = await spawnTs('simulator/cli.ts', { SIM_PORT: '0', SIM_CONTROL_PORT: '0', LOG_LEVEL: 'warn' }, 'SIM_CONTROL_URL');
  api = proc.vars.SIM_CONTROL_URL!;
});
afterAll(async () => {
  clients.forEach(c => c.stop());
  await proc.stop();
});

test('the CLI prints the WebSocket URL, the version document URL, the 64-hex root key and the control URL', async () => {
  expect(proc.vars.WA_WS_URL).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws\/chat$/);
  expect(proc.vars.WA_VERSION_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sw\.js$/);
  // The document is what Baileys' lookup reads: WhatsApp Web's sw.js with a client_revision.
  expect(await (await fetch(proc.vars.WA_VERSION_URL!)).text()).toMatch(/\\"client_revision\\":\d+/);
  expect(proc.vars.WA_ROOT_PUBLIC_KEY).toBe(SIM_ROOT_PUBLIC_KEY_HEX);
  expect(proc.vars.WA_ROOT_PUBLIC_KEY).toMatch(/^[0-9a-f]{64}$/);
  const health = await call('GET', '/health');
  expect(health).toEqual({ status: 200, json: { status: 'ok', url: proc.vars.WA_WS_URL, versionUrl: proc.vars.WA_VERSION_URL, rootPublicKey: SIM_ROOT_PUBLIC_KEY_HEX, accounts: 0 } });
});

test('the whole flow over HTTP: account, scan, inbound text, outbound text in the outbox with its receipts, kick', async () => {
  const created = await call('POST', '/accounts', { phone: ME, pushName: 'Ops', contacts: [{ phone: DANI, pushName: 'Dani' }] });
  expect(created.status).toBe(201);
  expect(created.json).toMatchObject({ phone: ME, paired: false, contacts: [{ phone: DANI, pushName: 'Dani', onWhatsApp: true }] });

  const client = new TestClient(proc.vars.WA_WS_URL!).start();
  clients.push(client);
  const { qr } = await client.waitFor('connection.update', u => !!u.qr);
  const scanned = await call('POST', '/scan', { phone: ME, qr });
  expect(scanned.status).toBe(200);
  expect(scanned.json.deviceId).toBeGreaterThan(0);
  await client.waitFor('connection.update', u => u.connection === 'open');
  expect((await call('GET', `/accounts/${ME}`)).json).toMatchObject({ paired: true, connected: true });

  const sent = await call('POST', `/accounts/${ME}/messages`, { from: DANI, text: 'over http' });
  expect(sent.json.messageId).toMatch(/^[0-9A-F]+$/);
  const upsert = await client.waitFor('messages.upsert', u => u.messages.some(m => m.key.id === sent.json.messageId));
  expect(upsert.messages[0]?.message?.conversation).toBe('over http');

  const burstMark = client.mark;
  const burst = await call('POST', `/accounts/${ME}/messages/burst`, { from: DANI, text: 'burst', count: 3 });
  expect(burst.json.messageIds).toHaveLength(3);
  await client.waitFor('messages.upsert', u => u.messages.some(m => m.key.id === burst.json.messageIds[2]), { since: burstMark });
  const texts = client.all('messages.upsert').slice(-3).flatMap(u => u.messages.map(m => [m.key.id, m.message?.conversation]));
  expect(texts).toEqual(burst.json.messageIds.map((id: string, i: number) => [id, `burst ${i + 1}`]));

  const out = await client.sock.sendMessage(`${DANI}@s.whatsapp.net`, { text: 'reply' });
  let outbox: any[] = [];
  for (let i = 0; i < 100 && !outbox.length; i++) {
    outbox = (await call('GET', `/accounts/${ME}/outbox`)).json;
    await new Promise(r => setTimeout(r, 20));
  }
  expect(outbox).toEqual([expect.objectContaining({ id: out!.key.id, to: `${DANI}@s.whatsapp.net`, text: 'reply', repeat: false })]);

  await client.sock.readMessages([upsert.messages[0]!.key]);
  let receipts: any[] = [];
  for (let i = 0; i < 100 && !receipts.some(r => r.type === 'read'); i++) {
    receipts = (await call('GET', `/accounts/${ME}/receipts`)).json;
    await new Promise(r => setTimeout(r, 20));
  }
  expect(receipts).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'read', ids: [sent.json.messageId] })]));

  const archiveMark = client.mark;
  const archived = await call('POST', `/accounts/${ME}/app-state`, { action: 'archive', chat: DANI });
  expect(archived).toEqual({ status: 200, json: { collection: 'regular_low', version: 1 } });
  await client.waitFor('chats.update', u => u.some(c => c.id === `${DANI}@s.whatsapp.net` && c.archived === true), { since: archiveMark });
  await client.sock.chatModify({ pin: true }, `${DANI}@s.whatsapp.net`);
  const state = await call('GET', `/accounts/${ME}/app-state`);
  expect(state.json.chats).toEqual([expect.objectContaining({ jid: `${DANI}@s.whatsapp.net`, archived: true, pinned: true })]);
  expect(state.json.collections).toMatchObject({ regular_low: 2 });

  const mark = client.mark;
  expect((await call('POST', `/accounts/${ME}/kick`, { reason: 'logout' })).json).toEqual({ kicked: true });
  await client.waitFor('connection.update', u => u.connection === 'close', { since: mark });
  expect((await call('GET', `/accounts/${ME}`)).json).toMatchObject({ paired: false, connected: false });
});

test.each([
  ['POST', '/accounts', { phone: 'abc' }, 400],
  ['POST', '/accounts', { phone: ME }, 409],
  ['POST', '/accounts', '{not json', 400],
  ['POST', '/accounts', { phone: '5541900000009', contacts: [{ phone: '1' }] }, 400],
  ['POST', '/scan', { phone: ME, qr: 'nonsense' }, 400],
  ['POST', '/scan', { phone: '5541999999999', qr: 'x' }, 404],
  ['POST', `/accounts/${ME}/messages`, { from: DANI }, 400],
  ['POST', `/accounts/${ME}/messages`, { from: DANI, text: '' }, 400],
  ['POST', '/accounts/5541999999999/messages', { from: DANI, text: 'x' }, 404],
  ['POST', `/accounts/${ME}/messages/burst`, { from: DANI, text: 'x', count: 0 }, 400],
  ['POST', `/accounts/${ME}/presence`, { from: DANI, presence: 'dancing' }, 400],
  ['POST', `/accounts/${ME}/kick`, { reason: 'because' }, 400],
  ['POST', `/accounts/${ME}/read`, { from: DANI, messageIds: [] }, 400],
  ['POST', `/accounts/${ME}/app-state`, { action: 'explode', chat: DANI }, 400],
  ['POST', `/accounts/${ME}/app-state`, { action: 'mute', chat: DANI }, 400],
  ['POST', '/accounts/5541999999999/app-state', { action: 'archive', chat: DANI }, 404],
  ['GET', '/nowhere', undefined, 404]
])('%s %s with bad input answers the error shape (%#)', async (method, path, body, status) => {
  const res = await call(method, path, body);
  expect(res.status).toBe(status);
  expect(res.json).toEqual({ status, error: expect.any(String), message: expect.any(String) });
  // ...and the simulator is still up.
  expect((await call('GET', '/health')).status).toBe(200);
});
