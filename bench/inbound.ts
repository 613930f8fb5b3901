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
 */
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

const hubCount = (c: EventClient) => c.of('new.message').filter(e => !e.data.header.fromMe).length;
const bareCount = (c: TestClient) => c.all('messages.upsert').reduce((n, u) => n + u.messages.filter(m => !m.key.fromMe && m.message?.conversation).length, 0);
const counters = { hub: hubSide.map(s => () => hubCount(s.client)), bare: bareSide.map(s => () => bareCount(s.client)) };

async function round(side: 'hub' | 'bare', perContact: number): Promise<{ ms: number; delivered: number; simCpu: number }> {
  const accounts = side === 'hub' ? hubSide : bareSide;
  const count = counters[side];
  const before = count.map(c => c());
  const cpu = cpuSeconds(sim.pid);
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
  return { ms: since(start), delivered: target * accounts.length, simCpu: cpuSeconds(sim.pid) - cpu };
}

// Each contact's first message is a pkmsg that sets up the session; later ones are plain msg, as in real traffic.
await round('hub', 1);
await round('bare', 1);
await sleep(2000);
const totals = { hub: { ms: 0, n: 0 }, bare: { ms: 0, n: 0 } };
let simCpu = 0;
let simMessages = 0;
for (let r = 0; r < ROUNDS; r++) {
  for (const side of r % 2 ? (['bare', 'hub'] as const) : (['hub', 'bare'] as const)) {
    const o = await round(side, PER_ACCOUNT / CONTACTS);
    totals[side].ms += o.ms;
    totals[side].n += o.delivered;
    simCpu += o.simCpu;
    simMessages += o.delivered;
  }
}
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
