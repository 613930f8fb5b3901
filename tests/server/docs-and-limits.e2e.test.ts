import { COMMAND_NAMES } from '../../protocol/index.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { ADMIN_KEY, EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { startSimulator } from '../helpers/simulator.js';

let sim: WhatsAppSimulator;
let hub: TestHub;

beforeAll(async () => {
  sim = await startSimulator();
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '5' } });
});
afterAll(async () => {
  await hub.close();
  await sim.stop();
});

test('/docs serves the UI and an OpenAPI document listing every REST route with its schema', async () => {
  const ui = await fetch(`${hub.url}/docs`);
  expect(ui.status).toBe(200);
  expect(await ui.text()).toContain('swagger');
  const doc = (await (await fetch(`${hub.url}/docs/json`)).json()) as { openapi: string; paths: Record<string, Record<string, any>> };
  expect(doc.openapi).toMatch(/^3\./);
  const summaries = Object.values(doc.paths).flatMap(p => Object.values(p).map(op => op.summary));
  // Every command has a route, and each route names its command.
  for (const name of COMMAND_NAMES) expect(summaries).toContain(name);
  const send = doc.paths['/message/sendText/{instance}']!.post;
  expect(Object.keys(send.requestBody.content['application/json'].schema.properties).sort()).toEqual(['mentions', 'number', 'quoted', 'text']);
  expect(send.responses['404']).toBeDefined();
});

test('commands beyond the per-instance rate answer 429 in the error shape; other instances are not affected', async () => {
  const a = await hub.request('POST', '/instance/create', { instanceName: 'busy' });
  const b = await hub.request('POST', '/instance/create', { instanceName: 'calm' });
  const socket = new EventClient(hub.url, a.json.token);
  await socket.connected();
  const answers = await Promise.all(Array.from({ length: 30 }, () => socket.emit('instance.state', { instance: 'busy' })));
  socket.close();
  const limited = answers.filter(x => !x.ok);
  expect(answers.filter(x => x.ok).length).toBeGreaterThanOrEqual(5);
  expect(limited.length).toBeGreaterThan(0);
  for (const x of limited) expect(x.error).toEqual({ status: 429, error: 'Too Many Requests', message: 'too many requests' });
  expect((await hub.request('GET', '/instance/connectionState/calm', undefined, b.json.token)).status).toBe(200);
});

test('a multipart body is read only by message.sendMedia: another route answers 415 in the error shape', async () => {
  await hub.request('POST', '/instance/create', { instanceName: 'forms' });
  const form = new FormData();
  form.append('number', '5511999999999');
  form.append('text', 'hi');
  const res = await fetch(`${hub.url}/message/sendText/forms`, { method: 'POST', headers: { apikey: ADMIN_KEY }, body: form });
  expect(res.status).toBe(415);
  expect(await res.json()).toEqual({ status: 415, error: 'Unsupported Media Type', message: expect.any(String) });
});
