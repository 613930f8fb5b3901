import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { EventClient, startHub, type TestHub } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';
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
  await new Promise(r => setTimeout(r, 400));
  expect(sim.outbox(PHONE).filter(o => o.text === 'capped')).toHaveLength(2);
  expect((await io.emit('queue.get', { instance: 'opts', queueId })).data).toMatchObject({ state: 'waiting', reason: 'daily cap reached', progress: 50 });
  await io.emit('queue.delete', { instance: 'opts', queueId });
});

test('onUncertain "skip": a recipient caught mid-send by a crash is reported unknown, not sent again', async () => {
  const numbers = nums(20, 3);
  const { queueId } = (await io.emit('queue.create', { instance: 'opts', numbers, message: { text: 'uncertain' }, options: { minDelayMs: 300, maxDelayMs: 300, onUncertain: 'skip' } })).data;
  await io.emit('queue.pause', { instance: 'opts', queueId });
  await io.waitFor('paused.queue', e => e.data.queue.queueId === queueId);
  const lastSeq = io.events.at(-1)!.seq;
  await hub.close();
  // What a crash between committing the ID and confirming the send leaves behind, written while no hub runs.
  const db = new Database(join(dir.path, 'wahub.sqlite'));
  db.prepare("UPDATE queue_recipients SET state = 'sending', message_id = '3EB0UNCERTAIN0000000000' WHERE queue_id = ? AND position = 0").run(queueId);
  db.prepare("UPDATE queues SET state = 'running', reason = NULL WHERE id = ?").run(queueId);
  db.close();
  hub = await startHub(sim, { dataDir: dir.path, env: { RATE_LIMIT_PER_SECOND: '0' } });
  const back = new EventClient(hub.url, token);
  await back.connected();
  await back.emit('subscribe', { instance: 'opts', after: lastSeq });
  try {
    await waitUntil(() => back.of('send.message:ERROR').some(e => e.data.queueId === queueId), 20_000);
    const err = back.of('send.message:ERROR').find(e => e.data.queueId === queueId)!;
    expect(err.data).toMatchObject({ number: numbers[0], status: 409, error: 'Conflict' });
    await back.waitFor('send.message:COMPLETED', e => e.data.queue.queueId === queueId, 20_000);
    const info = (await back.emit('queue.get', { instance: 'opts', queueId })).data;
    expect(info.recipients.map((r: { state: string }) => r.state)).toEqual(['unknown', 'sent', 'sent']);
    await waitUntil(() => sim.outbox(PHONE).filter(o => o.text === 'uncertain').length === 2);
    expect(sim.outbox(PHONE).some(o => o.to === `${numbers[0]}@s.whatsapp.net` && o.text === 'uncertain')).toBe(false);
  } finally {
    back.close();
  }
});
