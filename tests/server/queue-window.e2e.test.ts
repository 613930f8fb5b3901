import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { SEND_WINDOW } from '../../server/queue/queue-runner.js';
import { ADMIN_KEY, EventClient, hubClient } from '../helpers/hub.js';
import { pairInstance } from '../helpers/pairing.js';
import { spawnHub, type Spawned } from '../helpers/processes.js';
import { startSimulator, waitUntil } from '../helpers/simulator.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * Several sends in flight per queue at zero delay. The first recipient's phone
 * never gets WhatsApp's ack back, so the oldest send stays unanswered until its
 * (long) ack timeout: the sends behind it are written meanwhile, and what the
 * queue does with them while it cannot settle the oldest shows the window.
 */
const PHONE = '5561970000001';
const SILENT = '5561970000100';
const REFUSING = '5561970000103';
// The refusing contact's messages go nowhere (no outbox entry); it comes after the first window.
const numbers = (from: number, n: number) => Array.from({ length: n }, (_, i) => String(5561970000100 + from + i));
const jid = (n: string) => `${n}@s.whatsapp.net`;

let sim: WhatsAppSimulator;
let dir: ReturnType<typeof tempDir>;
let hub: Spawned | undefined;
let token: string;
const clients: EventClient[] = [];

// No ack for the first recipient means a timeout; one attempt makes it final, so each test's order is fixed.
const startHubProcess = () => spawnHub(dir.path, sim, ADMIN_KEY, { RATE_LIMIT_PER_SECOND: '0', SEND_ACK_TIMEOUT_MS: '8000', SEND_MAX_ATTEMPTS: '1' });
const api = () => hubClient(hub!.vars.WAHUB_URL!);
const client = () => clients.at(-1)!;

beforeAll(async () => {
  sim = await startSimulator();
  sim.createAccount({ phone: PHONE, contacts: [{ phone: SILENT, noAck: true }, { phone: REFUSING, refuse: 479 }], history: { chats: [] } });
  dir = tempDir('wahub-queue-window-');
  hub = await startHubProcess();
  const paired = await pairInstance(api(), sim, 'window', PHONE);
  token = paired.token;
  clients.push(paired.client);
  // Every contact's keys and session first: the simulator makes them slowly, and no figure here is about that.
  const warm = [SILENT, ...numbers(4, 16)];
  for (const n of warm) expect(await paired.client.emit('message.sendText', { instance: 'window', number: n, text: 'warm-up' })).toMatchObject({ ok: true });
  await waitUntil(() => sim.outbox(PHONE).filter(o => o.text === 'warm-up').length === warm.length, 60_000);
}, 120_000);
afterAll(async () => {
  clients.forEach(c => c.close());
  await hub?.stop('SIGKILL');
  await sim.stop();
  dir.cleanup();
});

const sentTo = (text: string) => sim.outbox(PHONE).filter(o => o.text === text);
const queueEvents = (queueId: string) =>
  client().events.filter(e => {
    if (e.event !== 'send.message:PROCESSING' && e.event !== 'send.message:ERROR') return false;
    const data = e.data as { queue?: { queueId: string }; queueId?: string };
    return (data.queue?.queueId ?? data.queueId) === queueId;
  });

async function bulk(to: string[], text: string): Promise<string> {
  const created = await api().request('POST', '/message/sendBulk/window', { numbers: to, message: { text }, options: { minDelayMs: 0, maxDelayMs: 0 } }, token);
  expect(created.status).toBe(201);
  return created.json.queueId as string;
}

const recipients = async (queueId: string) =>
  (await api().request('GET', `/queue/get/window?queueId=${queueId}`, undefined, token)).json.recipients as { number: string; state: string; messageId: string | null }[];

test('the sends behind an unanswered one go out meanwhile, but outcomes and progress come in recipient order, each recipient once', async () => {
  expect(SEND_WINDOW).toBeGreaterThan(1);
  const to = [SILENT, ...numbers(4, 8), REFUSING, ...numbers(12, 3)];
  const text = 'windowed';
  const queueId = await bulk(to, text);
  // The whole window is written while the oldest send waits: nothing beyond it, nothing settled.
  await waitUntil(() => sentTo(text).length === SEND_WINDOW, 20_000);
  expect(sentTo(text).map(o => o.to).sort()).toEqual(to.slice(0, SEND_WINDOW).map(jid).sort());
  const states = await recipients(queueId);
  expect(states.map(r => r.state)).toEqual([...Array(SEND_WINDOW).fill('sending'), ...Array(to.length - SEND_WINDOW).fill('pending')]);
  expect(queueEvents(queueId)).toEqual([]);

  await client().waitFor('send.message:COMPLETED', e => e.data.queue.queueId === queueId, 60_000);
  const events = queueEvents(queueId);
  // The silent one timed out first (408), the refusing one failed in its place, the rest were sent in order.
  expect(events.map(e => [e.event, (e.data as { number?: string }).number ?? (e.data as { queue: { jid: string } }).queue.jid])).toEqual(
    to.map(n => (n === SILENT || n === REFUSING ? ['send.message:ERROR', n] : ['send.message:PROCESSING', jid(n)]))
  );
  expect(events.filter(e => e.event === 'send.message:ERROR').map(e => (e.data as { status: number }).status)).toEqual([408, 479]);
  const progress = events.flatMap(e => (e.event === 'send.message:PROCESSING' ? [(e.data as { queue: { progress: number } }).queue.progress] : []));
  expect(progress).toEqual([...progress].sort((a, b) => a - b));
  // One stanza per recipient (but the refusing one, whose message went nowhere), with the ID the queue committed for it.
  const out = sentTo(text);
  expect(out.map(o => o.to).sort()).toEqual(to.filter(n => n !== REFUSING).map(jid).sort());
  const ids = new Map((await recipients(queueId)).map(r => [jid(r.number), r.messageId]));
  for (const o of out) expect({ to: o.to, id: o.id }).toEqual({ to: o.to, id: ids.get(o.to) });
}, 90_000);

test('a pause mid-window lets the sends in flight settle, sends nothing more, and resumes where it stopped', async () => {
  const to = [SILENT, ...numbers(4, 12)];
  const text = 'paused mid-window';
  const queueId = await bulk(to, text);
  await waitUntil(() => sentTo(text).length === SEND_WINDOW, 20_000);
  const paused = await api().request('PUT', '/queue/pause/window', { queueId }, token);
  expect(paused.json.state).toBe('pausing');
  await client().waitFor('paused.queue', e => e.data.queue.queueId === queueId, 30_000);
  // Every send in flight was settled before the pause took effect, and none went after it.
  expect(queueEvents(queueId)).toHaveLength(SEND_WINDOW);
  expect(sentTo(text)).toHaveLength(SEND_WINDOW);
  const states = await recipients(queueId);
  expect(states.slice(SEND_WINDOW).every(r => r.state === 'pending')).toBe(true);
  expect(states.slice(0, SEND_WINDOW).map(r => r.state)).toEqual(['failed', ...Array(SEND_WINDOW - 1).fill('sent')]);

  await api().request('PUT', '/queue/resume/window', { queueId }, token);
  await client().waitFor('send.message:COMPLETED', e => e.data.queue.queueId === queueId, 60_000);
  expect(sentTo(text).map(o => o.to).sort()).toEqual(to.map(jid).sort());
}, 90_000);

test('killed (SIGKILL) with a whole window in flight: after the restart each of them goes again with its ID, and each contact shows it once', async () => {
  const to = [SILENT, ...numbers(4, 10)];
  const text = 'crash mid-window';
  const queueId = await bulk(to, text);
  await waitUntil(() => sentTo(text).length === SEND_WINDOW, 20_000);
  const before = await recipients(queueId);
  expect(before.slice(0, SEND_WINDOW).every(r => r.state === 'sending' && r.messageId)).toBe(true);
  const lastSeq = client().events.at(-1)!.seq;
  await hub!.stop('SIGKILL');

  hub = await startHubProcess();
  const again = new EventClient(hub.vars.WAHUB_URL!, token);
  clients.push(again);
  await again.connected();
  expect(await again.emit('subscribe', { instance: 'window', after: lastSeq })).toMatchObject({ ok: true });
  await again.waitFor('send.message:COMPLETED', e => e.data.queue.queueId === queueId, 90_000);

  const out = sentTo(text);
  const byRecipient = new Map<string, typeof out>();
  for (const o of out) byRecipient.set(o.to, [...(byRecipient.get(o.to) ?? []), o]);
  expect([...byRecipient.keys()].sort()).toEqual(to.map(jid).sort());
  const committed = new Map(before.map(r => [jid(r.number), r.messageId]));
  for (const [recipient, entries] of byRecipient) {
    // Never two IDs to one recipient: the ID committed before the crash is the one sent again.
    expect({ recipient, ids: [...new Set(entries.map(e => e.id))] }).toEqual({ recipient, ids: [committed.get(recipient) ?? entries[0]!.id] });
    expect({ recipient, surfaced: entries.filter(e => !e.repeat).length }).toEqual({ recipient, surfaced: 1 });
  }
  // The window was sent twice (before and after the kill), the rest once.
  expect(out).toHaveLength(to.length + SEND_WINDOW);
  const info = await api().request('GET', `/queue/get/window?queueId=${queueId}`, undefined, token);
  expect(info.json).toMatchObject({ state: 'completed', counts: { sent: to.length - 1, failed: 1, pending: 0, sending: 0 } });
}, 150_000);
