/**
 * Inbound messages through the hub to a Socket.IO subscriber, against bare
 * Baileys clients under the same simulator load, in alternating rounds; and the
 * simulator's own CPU per inbound (Signal-encrypted) message over those rounds.
 *
 * Each side has ACCOUNTS accounts with CONTACTS contacts; in a round every
 * contact of every account of one side sends a burst (one control request per
 * burst, so the simulator's CPU is its WhatsApp work, not HTTP).
 *
 *   node --import tsx bench/inbound.ts [accounts=4] [perAccount=100] [rounds=2]
 *
 * With INBOUND_PROFILE=<dir>, each side's rounds are CPU-profiled on their own
 * (`hub.cpuprofile`, `bare.cpuprofile`): the hub and the bare sockets share this
 * process, so one profile of the whole run would mix them.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { quietLibsignal } from '../server/logging/quiet-libsignal.js';
import { TestClient } from '../tests/helpers/baileys-client.js';
import { startHub, type EventClient } from '../tests/helpers/hub.js';
import { pairInstance } from '../tests/helpers/pairing.js';
import { report, since } from './figures.js';
import { cpuSeconds, sleep, spawnSimulator } from './harness.js';

quietLibsignal();
const ACCOUNTS = Number(process.argv[2] ?? 4);
const PER_ACCOUNT = Number(process.argv[3] ?? 100);
const ROUNDS = Number(process.argv[4] ?? 2);
const CONTACTS = 4;

const sim = await spawnSimulator();
const hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0' } });
const phoneOf = (side: number, i: number) => String(5560000000000 + side * 1_000_000 + i * 100);
const contactsOf = (phone: string) => Array.from({ length: CONTACTS }, (_, c) => String(Number(phone) + c + 1));
async function account(phone: string) {
  await sim.post('/accounts', { phone, contacts: contactsOf(phone).map(p => ({ phone: p })), history: { chats: [] } });
}

/** The hub's side: one instance and one Socket.IO subscriber per account. */
const hubSide: { phone: string; client: EventClient }[] = [];
for (let i = 0; i < ACCOUNTS; i++) {
  const phone = phoneOf(1, i);
  await account(phone);
  hubSide.push({ phone, client: (await pairInstance(hub, sim, `in${i}`, phone)).client });
}
/** The baseline: bare Baileys sockets in this same process, on the same simulator. */
const bareSide: { phone: string; client: TestClient }[] = [];
for (let i = 0; i < ACCOUNTS; i++) {
  const phone = phoneOf(2, i);
  await account(phone);
  const client = new TestClient(sim.url).start();
  const { qr } = await client.waitFor('connection.update', u => !!u.qr, { timeoutMs: 60_000 });
  await sim.scan(phone, qr!);
  await client.waitFor('connection.update', u => u.connection === 'open', { timeoutMs: 60_000 });
  bareSide.push({ phone, client });
}

/**
 * Both sides count the same thing: inbound texts surfaced to the application (an envelope
 * in the subscriber, a `messages.upsert` entry from the bare socket). Counted as they
 * arrive, not by rescanning everything received at each poll: the counting runs in this
 * process, beside the hub, and a rescan grows with the run.
 */
function hubCounter(c: EventClient): () => number {
  let n = 0;
  c.socket.on('new.message', (e: { data: { header: { fromMe: boolean } } }) => void (e.data.header.fromMe || n++));
  return () => n;
}
function bareCounter(c: TestClient): () => number {
  let n = 0;
  c.sock.ev.on('messages.upsert', u => void (n += u.messages.filter(m => !m.key.fromMe && m.message?.conversation).length));
  return () => n;
}
const counters = { hub: hubSide.map(s => hubCounter(s.client)), bare: bareSide.map(s => bareCounter(s.client)) };

const profileDir = process.env.INBOUND_PROFILE;
const inspector = profileDir ? new Session() : undefined;
inspector?.connect();
await inspector?.post('Profiler.enable');
const profiles: Record<'hub' | 'bare', { nodes: unknown[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number } | undefined> = { hub: undefined, bare: undefined };

async function round(side: 'hub' | 'bare', perContact: number): Promise<{ ms: number; delivered: number; simCpu: number; ownCpu: number }> {
  const accounts = side === 'hub' ? hubSide : bareSide;
  const count = counters[side];
  const before = count.map(c => c());
  const cpu = cpuSeconds(sim.pid);
  const own = process.cpuUsage();
  await inspector?.post('Profiler.start');
  const start = performance.now();
  await Promise.all(
    accounts.flatMap(a => contactsOf(a.phone).map(from => sim.post(`/accounts/${a.phone}/messages/burst`, { from, text: 'load', count: perContact })))
  );
  const target = perContact * CONTACTS;
  const deadline = Date.now() + 300_000;
  while (count.some((c, i) => c() - before[i]! < target)) {
    if (Date.now() > deadline) throw new Error(`${side}: not every message arrived`);
    await sleep(5);
  }
  const ms = since(start);
  const used = process.cpuUsage(own);
  if (inspector) merge(side, ((await inspector.post('Profiler.stop')) as { profile: NonNullable<(typeof profiles)['hub']> }).profile);
  return { ms, delivered: target * accounts.length, simCpu: cpuSeconds(sim.pid) - cpu, ownCpu: (used.user + used.system) / 1e6 };
}

/** Keeps one profile per side: the first round's, with later rounds' samples appended (node ids differ, so only the node tables of the first). */
function merge(side: 'hub' | 'bare', p: NonNullable<(typeof profiles)['hub']>): void {
  const kept = profiles[side];
  if (!kept) return void (profiles[side] = p);
  // Node ids are per profile: renumber this one's after the kept one's.
  const offset = Math.max(...(kept.nodes as { id: number }[]).map(n => n.id));
  for (const n of p.nodes as { id: number; children?: number[] }[]) {
    n.id += offset;
    n.children = n.children?.map(c => c + offset);
  }
  kept.nodes.push(...p.nodes);
  kept.samples.push(...p.samples.map(s => s + offset));
  kept.timeDeltas.push(...p.timeDeltas);
  kept.endTime += p.endTime - p.startTime;
}

// Each contact's first message is a pkmsg that sets up the session; later ones are plain msg, as in real traffic.
await round('hub', 1);
await round('bare', 1);
await sleep(2000);
const totals = { hub: { ms: 0, n: 0, cpu: 0 }, bare: { ms: 0, n: 0, cpu: 0 } };
let simCpu = 0;
let simMessages = 0;
for (let r = 0; r < ROUNDS; r++) {
  for (const side of r % 2 ? (['bare', 'hub'] as const) : (['hub', 'bare'] as const)) {
    const o = await round(side, PER_ACCOUNT / CONTACTS);
    totals[side].ms += o.ms;
    totals[side].n += o.delivered;
    totals[side].cpu += o.ownCpu;
    simCpu += o.simCpu;
    simMessages += o.delivered;
  }
}
if (profileDir) for (const side of ['hub', 'bare'] as const) writeFileSync(join(profileDir, `${side}.cpuprofile`), JSON.stringify(profiles[side]));
report([
  {
    id: 'inbound.perSecond',
    figure: `inbound messages to a Socket.IO subscriber, ${ACCOUNTS} instances`,
    unit: 'msg/s',
    wahub: totals.hub.n / (totals.hub.ms / 1000),
    baseline: totals.bare.n / (totals.bare.ms / 1000),
    goal: { ratioAtLeast: 0.9 },
    note: `baseline: ${ACCOUNTS} bare Baileys sockets in the bench process on the same simulator; through the hub each message is also translated, stored with its event in one commit and emitted to a Socket.IO client in the same process`
  },
  {
    id: 'inbound.cpuPerMessage',
    figure: `CPU of this process per inbound message, ${ACCOUNTS} instances`,
    unit: 'ms',
    wahub: (totals.hub.cpu * 1000) / totals.hub.n,
    baseline: (totals.bare.cpu * 1000) / totals.bare.n,
    goal: null,
    note: 'user + system CPU of the bench process over each side\'s rounds: both sides use all the CPU they get (their rounds are not idle), so on a loaded machine this is the steadier figure, and its ratio is about the inverse of the rate\'s'
  },
  {
    id: 'simulator.cpuPerMessage',
    figure: 'simulator CPU per inbound Signal message',
    unit: 'ms',
    wahub: (simCpu * 1000) / simMessages,
    baseline: null,
    goal: { atMost: 0.5 },
    note: 'user + system CPU of the simulator process over the rounds above, divided by the messages delivered; it includes the receipts and acks the clients send back'
  }
]);
hubSide.forEach(s => s.client.close());
bareSide.forEach(s => s.client.stop());
await hub.close();
await sim.stop();
process.exit(0);
