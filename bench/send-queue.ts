/**
 * The send queue beside a direct send, in one run:
 *  - per message: 1,000 recipients through bulk queues at zero delay (four
 *    queues of the same 250 numbers) against a loop of `sendMessage` calls on
 *    the same socket to the same numbers, the two interleaved round by round so
 *    both see the same machine load. Both are timed to WhatsApp's ack of their
 *    last message: the loop writes each stanza without waiting for its ack (as
 *    `sendMessage` does), and the queue counts a recipient sent only when acked. 250 distinct numbers, not 1,000: each new
 *    contact costs the simulator about 0.1 s of key generation, which would
 *    be most of the bench's time and is no part of either figure;
 *  - a 100,000-recipient queue: the time its create request takes, and the heap
 *    it keeps (after a collection; the transient growth is in the note).
 *
 *   node --expose-gc --import tsx bench/send-queue.ts [perRound=250] [big=100000]
 */
import { performance } from 'node:perf_hooks';
import type { BinaryNode } from '@whiskeysockets/baileys';
import { quietLibsignal } from '../server/logging/quiet-libsignal.js';
import { ADMIN_KEY, startHub } from '../tests/helpers/hub.js';
import { pairInstance } from '../tests/helpers/pairing.js';
import { report, since } from './figures.js';
import { collect, spawnSimulator } from './harness.js';

quietLibsignal();
const PER_ROUND = Number(process.argv[2] ?? 250);
const BIG = Number(process.argv[3] ?? 100_000);
const ROUNDS = 4;
const N = PER_ROUND * ROUNDS;
const PHONE = '5599000000001';

const sim = await spawnSimulator();
await sim.post('/accounts', { phone: PHONE, history: { chats: [] } });
const hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0' } });
const { token, client } = await pairInstance(hub, sim, 'bench', PHONE);
const numbers = (offset: number, n: number) => Array.from({ length: n }, (_, i) => String(5599000100000 + offset + i));
const sock = hub.app.hub.registry.get('bench').session.socket!;
const all = numbers(0, PER_ROUND);

// Every number gets a first message before timing: neither path pays a first contact's session set-up.
// Ten at a time: the simulator makes each new contact's keys, which is most of this bench's time.
for (let i = 0; i < all.length; i += 10) await Promise.all(all.slice(i, i + 10).map(n => sock.sendMessage(`${n}@s.whatsapp.net`, { text: 'warm' })));

// WhatsApp's acks, by message ID: the direct round is timed to the last one, as the queue is (a recipient is sent when acked).
const acked = new Set<string>();
let onAck: (() => void) | undefined;
sock.ws.on('CB:ack,class:message', (node: BinaryNode) => {
  acked.add(node.attrs.id ?? '');
  onAck?.();
});
function allAcked(ids: string[]): Promise<void> {
  const waiting = new Set(ids.filter(id => !acked.has(id)));
  return new Promise(resolve => {
    onAck = () => {
      for (const id of waiting) if (acked.has(id)) waiting.delete(id);
      if (!waiting.size) resolve();
    };
    onAck();
  });
}

let directMs = 0;
let queuedMs = 0;
for (let r = 0; r < ROUNDS; r++) {
  const part = all;
  let t = performance.now();
  const ids: string[] = [];
  for (const n of part) ids.push((await sock.sendMessage(`${n}@s.whatsapp.net`, { text: 'direct' }))!.key.id!);
  await allAcked(ids);
  directMs += since(t);
  t = performance.now();
  const created = await hub.request('POST', '/message/sendBulk/bench', { numbers: part, message: { text: 'queued' }, options: { minDelayMs: 0, maxDelayMs: 0 } }, token);
  if (created.status !== 201 && created.status !== 200) throw new Error(`sendBulk: ${JSON.stringify(created.json)}`);
  await client.waitFor('send.message:COMPLETED', e => e.data.queue.queueId === created.json.queueId, 600_000);
  queuedMs += since(t);
}

collect();
const heapBefore = process.memoryUsage().heapUsed;
let t = performance.now();
const big = await hub.request('POST', '/message/sendBulk/bench', { numbers: numbers(1_000_000, BIG), message: { text: 'big' }, options: { minDelayMs: 60_000, maxDelayMs: 60_000 } }, ADMIN_KEY);
const createMs = since(t);
const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
if (!big.json.queueId) throw new Error(`big sendBulk: ${JSON.stringify(big.json)}`);
await hub.request('PUT', '/queue/pause/bench', { queueId: big.json.queueId }, ADMIN_KEY);
collect();
const heapRetained = process.memoryUsage().heapUsed - heapBefore;

const MiB = 2 ** 20;
report([
  {
    id: 'queue.perMessage',
    figure: `send queue at zero delay, ${N} recipients (${ROUNDS} queues of ${PER_ROUND}), per message`,
    unit: 'ms',
    wahub: queuedMs / N,
    baseline: directMs / N,
    goal: { ratioAtMost: 1.3 },
    note: 'baseline: a loop of sendMessage on the same socket to the same numbers, timed to the ack of its last message; the queue also checks the numbers (50 per query), commits each recipient as sending before its stanza and with its outcome and event after its ack, up to 8 sends in flight'
  },
  { id: 'queue.create100k', figure: `create a ${BIG.toLocaleString('en')}-recipient queue over REST`, unit: 's', wahub: createMs / 1000, baseline: null, goal: { atMost: 3 } },
  {
    id: 'queue.heap100k',
    figure: `heap kept by a ${BIG.toLocaleString('en')}-recipient queue`,
    unit: 'MiB',
    wahub: Math.max(0, heapRetained) / MiB,
    baseline: null,
    goal: { atMost: 30 },
    note: `kept after a collection (the recipients live in SQLite); right after the request, before any collection, the heap had grown by ${(heapGrowth / MiB).toFixed(1)} MiB of parsed body and validation garbage`
  }
]);
client.close();
await hub.close();
await sim.stop();
process.exit(0);
