import { COMMAND_NAMES } from '../../protocol/index.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator } from '../helpers/simulator.js';
import { WsClient } from '../helpers/ws-client.js';

/** A small seeded generator, so a failing run can be replayed exactly. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const value = (depth = 0): unknown => {
    switch (int(depth > 2 ? 6 : 9)) {
      case 0: return int(2) ? int(1e6) : -int(1e6) / 7;
      case 1: return pick(['', 'ops', 'fz', 'watch', '5511930000010', 'x'.repeat(int(300)), '💥', '../../etc', '@lid', null]);
      case 2: return int(2) === 1;
      case 3: return null;
      case 4: return undefined;
      case 5: return pick([NaN, Infinity, 1e308, -0]);
      case 6: return Array.from({ length: int(4) }, () => value(depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = 0; i < int(5); i++) o[pick(['instance', 'number', 'text', 'key', 'after', 'limit', 'numbers', 'chat', 'id', 'reaction', 'presence', 'cursor', '__proto__', 'constructor'])] = value(depth + 1);
        return o;
      }
    }
  };
  return { int, pick, value };
}

// Destructive commands with valid arguments would end the instance under test, which is not what is fuzzed here.
const COMMANDS = [...COMMAND_NAMES.filter(c => !['instance.delete', 'instance.logout', 'instance.restart', 'instance.create'].includes(c)), 'subscribe', 'unsubscribe', 'nope', '', 'constructor'];
const isErrorShape = (e: any) => typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && typeof e.error === 'string' && typeof e.message === 'string';

let sim: WhatsAppSimulator;
let hub: TestHub;
let fuzzToken: string;
let watch: EventClient;
const CONTACT = '5511930000010';

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: '5511930000001', contacts: [{ phone: CONTACT }] });
  sim.createAccount({ phone: '5511930000002', contacts: [{ phone: CONTACT }] });
  hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0' } });
  fuzzToken = (await pairInstance(hub, sim, 'fz', '5511930000001')).token;
  watch = (await pairInstance(hub, sim, 'watch', '5511930000002')).client;
});
afterAll(async () => {
  watch.close();
  await hub.close();
  await sim.stop();
});

test('thousands of random WebSocket frames: one reply each, ok or the error shape, never a 5xx', async () => {
  const r = rng(42);
  const ws = new WsClient(hub.url, { token: fuzzToken });
  await ws.open();
  const N = 2000;
  for (let i = 0; i < N; i++) {
    const kind = r.int(10);
    const id = `f${i}`;
    let text: string;
    if (kind === 0) text = r.pick(['{', 'null', '[]', '"str"', '42', '{"id":', '\u0000', '{}']);
    else if (kind === 1) text = JSON.stringify({ id, command: r.pick(COMMANDS), args: r.value(), extra: r.value() });
    else text = JSON.stringify({ id, command: r.pick(COMMANDS), args: r.value() });
    ws.ws.send(text);
  }
  await new Promise<void>((resolve, reject) => {
    const end = Date.now() + 60_000;
    const poll = () => (ws.replies.length >= N ? resolve() : Date.now() > end ? reject(new Error(`${ws.replies.length} replies of ${N}`)) : setTimeout(poll, 50));
    poll();
  });
  expect(ws.replies).toHaveLength(N);
  for (const reply of ws.replies) {
    if (reply.ok) expect(reply).toHaveProperty('data');
    else expect({ reply, shape: isErrorShape(reply.error) }).toMatchObject({ shape: true });
  }
  ws.close();
});

test('random Socket.IO commands and REST bodies: the error shape, and the hub and other connections carry on', async () => {
  const r = rng(7);
  const io = new EventClient(hub.url, fuzzToken);
  await io.connected();
  const answers = await Promise.all(Array.from({ length: 1000 }, () => io.emit(r.pick(COMMANDS), r.value())));
  io.close();
  for (const a of answers) if (!a.ok) expect({ a, shape: isErrorShape(a.error) }).toMatchObject({ shape: true });

  const paths = ['/message/sendText/fz', '/chat/findMessages/fz', '/chat/whatsappNumbers/fz', '/instance/create', '/message/sendReaction/watch', '/chat/markMessageAsRead/fz'];
  for (let i = 0; i < 300; i++) {
    const res = await fetch(`${hub.url}${r.pick(paths)}`, {
      method: 'POST',
      headers: { apikey: fuzzToken, 'content-type': r.int(5) ? 'application/json' : 'text/plain' },
      body: r.int(6) ? JSON.stringify(r.value()) : r.pick(['{', 'x'.repeat(5_000_000), '', '[1,2', 'null'])
    });
    const body = await res.json();
    if (res.status >= 300) expect({ status: res.status, body, shape: isErrorShape(body) }).toMatchObject({ shape: true });
  }

  // The hub still works, and the other instance's subscriber still gets its events.
  const { messageId } = await sim.sendText('5511930000002', CONTACT, 'after the storm');
  await watch.waitFor('new.message', e => e.data.header.messageId === messageId);
  expect((await hub.request('GET', '/instance/connectionState/fz', undefined, fuzzToken)).json.state).toBe('open');
});
