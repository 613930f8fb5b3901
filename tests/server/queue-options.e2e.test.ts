import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { startHub, type EventClient, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator } from '../helpers/simulator.js';
import { tempDir } from '../helpers/temp-dir.js';

const PHONE = '5551990000001';
const nums = (from: number, n: number) => Array.from({ length: n }, (_, i) => String(5551990000100 + from + i));
let sim: WhatsAppSimulator;
let dir: ReturnType<typeof tempDir>;
let hub: TestHub;
let token: string;
let io: EventClient;

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, history: { chats: [] } });
  dir = tempDir();
  hub = await startHub(sim, { dataDir: dir.path, env: { RATE_LIMIT_PER_SECOND: '0' } });
  ({ token, client: io } = await pairInstance(hub, sim, 'opts', PHONE));
});
afterAll(async () => {
  io.close();
  await hub.close();
  await sim.stop();
  dir.cleanup();
});

test('composing: "typing…" is shown to each recipient before its message', async () => {
  const numbers = nums(0, 2);
  const { queueId } = (await io.emit('queue.create', { instance: 'opts', numbers, message: { text: 'typed' }, options: { minDelayMs: 10, maxDelayMs: 20, composing: true } })).data;
  await io.waitFor('send.message:COMPLETED', e => e.data.queue.queueId === queueId, 20_000);
  for (const n of numbers) {
    const typed = sim.clientPresence(PHONE).find(p => p.to === `${n}@s.whatsapp.net` && p.state === 'composing');
    const sent = sim.outbox(PHONE).find(o => o.to === `${n}@s.whatsapp.net` && o.text === 'typed');
    expect(typed).toBeDefined();
    expect(typed!.timestamp).toBeLessThanOrEqual(sent!.timestamp);
  }
});

test('dailyCap: the queue stops at the cap and says why with paused.queue', async () => {
  const sentToday = (await io.emit('queue.list', { instance: 'opts' })).data.reduce((n: number, q: { counts: { sent: number } }) => n + q.counts.sent, 0);
  const cap = sentToday + 2;
  const { queueId } = (await io.emit('queue.create', { instance: 'opts', numbers: nums(10, 4), message: { text: 'capped' }, options: { minDelayMs: 10, maxDelayMs: 20, dailyCap: cap } })).data;
  const held = await io.waitFor('paused.queue', e => e.data.queue.queueId === queueId, 20_000);
  expect(held.data.reason).toBe('daily cap reached');
  // Each send is counted once WhatsApp acked it, after the contact recorded it; held, the runner has stopped.
  expect(sim.outbox(PHONE).filter(o => o.text === 'capped')).toHaveLength(2);
  expect((await io.emit('queue.get', { instance: 'opts', queueId })).data).toMatchObject({ state: 'waiting', reason: 'daily cap reached', progress: 50 });
  await io.emit('queue.delete', { instance: 'opts', queueId });
});
