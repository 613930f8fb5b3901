import { Parser, type AsyncAPIDocumentInterface } from '@asyncapi/parser';
import { COMMAND_NAMES, EVENT_NAMES } from '../../protocol/index.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { startSimulator } from '../helpers/simulator.js';

let sim: WhatsAppSimulator;
let hub: TestHub;
let raw: { asyncapi: string };
let doc: AsyncAPIDocumentInterface;

beforeAll(async () => {
  sim = await startSimulator();
  hub = await startHub(sim);
});
afterAll(async () => {
  await hub.close();
  await sim.stop();
});

test('/docs/asyncapi.json is an AsyncAPI 3 document the AsyncAPI parser accepts without errors or warnings', async () => {
  const res = await fetch(`${hub.url}/docs/asyncapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  raw = (await res.json()) as { asyncapi: string };
  expect(raw.asyncapi).toBe('3.0.0');
  const { document, diagnostics } = await new Parser().parse(JSON.stringify(raw));
  // Spectral severities: 0 error, 1 warning.
  expect(diagnostics.filter(d => d.severity <= 1).map(d => `${d.path.join('/')}: ${d.message}`)).toEqual([]);
  expect(document).toBeDefined();
  doc = document!;
});

test('every event is a message received on the per-instance channel, with its envelope as payload', () => {
  const channel = doc.channels().get('instanceEvents')!;
  expect(channel.address()).toBe('instances/{instance}/events');
  expect(channel.parameters().get('instance')).toBeDefined();
  const names = channel.messages().all().map(m => m.name());
  expect(names.sort()).toEqual([...EVENT_NAMES].sort());
  const newMessage = channel.messages().all().find(m => m.name() === 'new.message')!;
  expect(newMessage.payload()!.required()).toEqual(['event', 'instance', 'data', 'seq', 'timestamp']);
  expect(newMessage.payload()!.properties()!.event!.const()).toBe('new.message');
  const received = doc.operations().all().filter(op => op.action() === 'receive' && op.channels().all()[0]?.id() === 'instanceEvents');
  expect(received).toHaveLength(EVENT_NAMES.length);
});

test('every command is a send operation with its arguments and an acknowledgement reply', () => {
  for (const name of COMMAND_NAMES) {
    // Command names need no escaping, so they are the operation ids.
    const op = doc.operations().get(name);
    expect(op?.action()).toBe('send');
    expect(op!.messages().all()[0]!.name()).toBe(name);
    const reply = op!.reply()!.messages().all()[0]!;
    // The reply is the Socket.IO ack: {ok: true, data} or {ok: false, error}.
    expect(reply.payload()!.anyOf()!.map(s => s.properties()!.ok!.const())).toEqual([true, false]);
  }
  const sendText = doc.operations().get('message.sendText')!;
  expect(Object.keys(sendText.messages().all()[0]!.payload()!.properties()!).sort()).toEqual(['instance', 'mentions', 'number', 'quoted', 'text']);
});
