/**
 * The send queue's cost, beside a baseline measured in the same run:
 *  - per message: N sends through a bulk queue (no pacing delay) against N
 *    direct `sendMessage` calls on the same Baileys socket;
 *  - memory: the heap a 10,000-recipient queue adds while it is stored and paused.
 *
 *   node --expose-gc --import tsx bench/send-queue.ts [messages=200] [recipients=10000]
 */
import { performance } from 'node:perf_hooks';
import { WhatsAppSimulator } from '../simulator/simulator.js';
import { ADMIN_KEY, startHub } from '../tests/helpers/hub.js';
import { pairInstance } from '../tests/helpers/pairing.js';

const N = Number(process.argv[2] ?? 200);
const RECIPIENTS = Number(process.argv[3] ?? 10_000);
const gc = (globalThis as { gc?: () => void }).gc;

const sim = await new WhatsAppSimulator({ receiptDelayMs: 60_000 }).start();
sim.createAccount({ phone: '5599000000001', history: { chats: [] } });
const hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0' } });
const { token, client } = await pairInstance(hub, sim, 'bench', '5599000000001');
const numbers = (offset: number, n: number) => Array.from({ length: n }, (_, i) => String(5599000100000 + offset + i));
const sock = hub.app.hub.registry.get('bench').session.socket!;

// Warm both paths (sessions with each contact) so neither pays the first-contact cost.
for (const n of numbers(0, N)) await sock.sendMessage(`${n}@s.whatsapp.net`, { text: 'warm' });

let t = performance.now();
for (const n of numbers(0, N)) await sock.sendMessage(`${n}@s.whatsapp.net`, { text: 'direct' });
const directMs = (performance.now() - t) / N;

t = performance.now();
const created = await hub.request('POST', '/message/sendBulk/bench', { numbers: numbers(0, N), message: { text: 'queued' }, options: { minDelayMs: 0, maxDelayMs: 0 } }, token);
await client.waitFor('send.message:COMPLETED', e => e.data.queue.queueId === created.json.queueId, 600_000);
const queuedMs = (performance.now() - t) / N;

gc?.();
const before = process.memoryUsage().heapUsed;
const big = await hub.request('POST', '/message/sendBulk/bench', { numbers: numbers(100_000, RECIPIENTS), message: { text: 'big' }, options: { minDelayMs: 60_000, maxDelayMs: 60_000 } }, ADMIN_KEY);
await hub.request('PUT', '/queue/pause/bench', { queueId: big.json.queueId }, ADMIN_KEY);
gc?.();
const after = process.memoryUsage().heapUsed;

console.log(
  JSON.stringify(
    {
      messages: N,
      directSendMsPerMessage: +directMs.toFixed(2),
      queuedSendMsPerMessage: +queuedMs.toFixed(2),
      queueOverheadMsPerMessage: +(queuedMs - directMs).toFixed(2),
      note: 'the queue also checks each number with WhatsApp (in batches of 10) and commits two state changes per recipient',
      queueRecipients: RECIPIENTS,
      queueHeapKiB: Math.round((after - before) / 1024),
      heapMeasuredAfterGc: !!gc
    },
    null,
    2
  )
);
client.close();
await hub.close();
await sim.stop();
process.exit(0);
