import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { startSimulator } from '../helpers/simulator.js';
import { WsClient } from '../helpers/ws-client.js';

let sim: WhatsAppSimulator;
let hub: TestHub;
const closers: { close(): void }[] = [];

beforeAll(async () => {
  sim = await startSimulator();
  hub = await startHub(sim);
});
afterAll(async () => {
  closers.forEach(c => c.close());
  await hub.close();
  await sim.stop();
});

async function setUp(name: string, phone: string) {
  sim.createAccount({ phone });
  const created = await hub.request('POST', '/instance/create', { instanceName: name });
  const events = new EventClient(hub.url, created.json.token);
  closers.push(events);
  await events.connected();
  await events.emit('subscribe', { instance: name });
  return { token: created.json.token as string, events };
}

test.each([
  ['rest', '5513960000001'],
  ['socket.io', '5513960000002'],
  ['websocket', '5513960000003']
])('instance.pairingCode over %s: the phone types the code and the instance opens', async (transport, phone) => {
  const name = `code-${transport.replace('.', '')}`;
  const { token, events } = await setUp(name, phone);
  let code: string;
  if (transport === 'rest') {
    const res = await hub.request('POST', `/instance/pairingCode/${name}`, { number: `+${phone}` }, token);
    expect(res.status).toBe(200);
    code = res.json.pairingCode;
  } else if (transport === 'socket.io') {
    // The command itself waits up to 10 s for the connection to reach the pairing stage; the ack may take longer than that.
    code = (await events.emit('instance.pairingCode', { instance: name, number: phone }, 30_000)).data.pairingCode;
  } else {
    const ws = new WsClient(hub.url, { token });
    closers.push(ws);
    await ws.open();
    code = (await ws.call('instance.pairingCode', { instance: name, number: phone }, 30_000)).data.pairingCode;
  }
  expect(code).toMatch(/^[0-9A-Z]{8}$/);
  await sim.enterPairingCode(phone, code);
  const open = await events.waitFor('connection.update', e => e.data.state === 'open');
  expect(open.instance.owner).toBe(`${phone}@s.whatsapp.net`);
});

test('a pairing code for an instance that is already paired is refused (409)', async () => {
  const res = await hub.request('POST', '/instance/pairingCode/code-rest', { number: '5513960000001' });
  expect(res).toMatchObject({ status: 409, json: { status: 409, error: 'Conflict' } });
});
