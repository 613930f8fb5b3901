import type { CommandName } from '../../protocol/index.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { AnyTransport, TRANSPORTS } from '../helpers/any-transport.js';
import { ADMIN_KEY, startHub, type TestHub } from '../helpers/hub.js';
import { startSimulator } from '../helpers/simulator.js';

const CONTACT = '5511940000010';
let sim: WhatsAppSimulator;
let hub: TestHub;
let caller: AnyTransport;
let admin: AnyTransport;

beforeAll(async () => {
  sim = await startSimulator();
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0' } });
  // Validation comes before the handler, so the instance never needs to be paired.
  const created = await hub.request('POST', '/instance/create', { instanceName: 'par' });
  caller = await AnyTransport.open(hub.url, created.json.token);
  admin = await AnyTransport.open(hub.url, ADMIN_KEY);
});
afterAll(async () => {
  caller?.close();
  admin?.close();
  await hub.close();
  await sim.stop();
});

const bad = (message: string) => ({ status: 400, error: 'Bad Request', message });

/** Arguments of the wrong type (or shape) that Ajv's coercion or stripping used to let through on REST. */
const CASES: [string, CommandName, Record<string, unknown>, string][] = [
  ['a number for a text', 'message.sendText', { number: CONTACT, text: 4242001 }, 'text must be string'],
  ['a number for a phone number', 'message.sendText', { number: 5511940000010, text: 'hi' }, 'number must be string'],
  ['a string for a latitude', 'message.sendLocation', { number: CONTACT, latitude: '-19.9', longitude: -43.9 }, 'latitude must be number'],
  ['a string for a boolean', 'message.markRead', { keys: [{ id: 'ABCDEF0123', remoteJid: CONTACT, fromMe: 'false' }] }, 'keys.0.fromMe must be boolean'],
  ['a string for an integer in a body', 'messages.find', { chat: CONTACT, limit: '5' }, 'limit must be integer'],
  ['one string for a list', 'queue.create', { numbers: CONTACT, message: { text: 'x' } }, 'numbers must be array'],
  ['an unknown field', 'message.sendText', { number: CONTACT, text: 'hi', priority: 'high' }, 'body must not have additional properties: priority'],
  ['a text in a query for an integer', 'instance.events', { after: 'abc' }, 'after must be integer']
];

test.each(CASES)('%s (%s): the same 400 over REST, Socket.IO and /ws', async (_why, command, args, message) => {
  const replies = await Promise.all(TRANSPORTS.map(t => caller.call(t, command, { instance: 'par', ...args })));
  for (const reply of replies) expect(reply).toMatchObject({ ok: false, error: bad(message) });
  expect(replies[0]!.httpStatus).toBe(400);
  expect(replies.map(r => r.error)).toEqual([bad(message), bad(message), bad(message)]);
});

test('numbers in a query string become numbers only where the schema takes a number', async () => {
  for (const transport of TRANSPORTS) {
    // after and limit are integers: REST's "0" and "1" are read as such, as the sockets send them.
    expect(await caller.call(transport, 'instance.events', { instance: 'par', after: 0, limit: 1 })).toMatchObject({
      ok: true,
      data: { events: [], more: false }
    });
    // queueId is a string: "123" stays "123" and is looked up as such.
    expect(await caller.call(transport, 'queue.get', { instance: 'par', queueId: '123' })).toEqual(
      expect.objectContaining({ ok: false, error: { status: 404, error: 'Not Found', message: 'queue 123 does not exist' } })
    );
  }
});

test('REST refuses an instance named in the body as well as in the path, instead of dropping one', async () => {
  const res = await hub.request('POST', '/message/sendText/par', { instance: 'other', number: CONTACT, text: 'hi' }, ADMIN_KEY);
  expect(res).toEqual({ status: 400, json: bad('instance is named by the path, not the body') });
});

test.each(TRANSPORTS)('an instance token calling an admin-only command over %s gets 403, and nothing is created', async transport => {
  const name = `made-${transport.replace('.', '')}`;
  const reply = await caller.call(transport, 'instance.create', { instanceName: name });
  expect(reply).toMatchObject({ ok: false, error: { status: 403, error: 'Forbidden', message: 'instance.create needs the admin key' } });
  if (transport === 'rest') expect(reply.httpStatus).toBe(403);
  expect(hub.app.hub.registry.list().map(i => i.row.name)).not.toContain(name);
  expect(hub.app.storage.db.prepare('SELECT COUNT(*) FROM instances WHERE name = ?').pluck().get(name)).toBe(0);
  // The same call with the admin key goes through, so the 403 is about who calls, not what.
  expect(await admin.call(transport, 'instance.create', { instanceName: name })).toMatchObject({ ok: true, data: { instance: { name } } });
});
