/**
 * Inbound throughput of one simulator process: pairs N accounts (default 100),
 * then their contacts send M texts each through the control API, and the bench
 * counts the messages the Baileys clients surface (messages.upsert notify).
 *
 * The simulator runs as its own process (`simulator/cli.ts`), the clients in this
 * one. Baseline, measured in the same run: the same load as <plaintext> stanzas,
 * with no Signal encryption on either side, which is the floor that the clients'
 * own processing and the transport set.
 *
 *   npx tsx bench/simulator-throughput.ts [accounts=100] [messagesPerAccount=20]
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { quietLibsignal } from '../server/logging/quiet-libsignal.js';
import { TestClient } from '../tests/helpers/baileys-client.js';
import { spawnTs } from '../tests/helpers/processes.js';

quietLibsignal();
const accounts = Number(process.argv[2] ?? 100);
const perAccount = Number(process.argv[3] ?? 20);
const CONTACTS = 4;
const TARGET = 2000;

const sim = await spawnTs('simulator/cli.ts', { SIM_PORT: '0', SIM_CONTROL_PORT: '0', LOG_LEVEL: 'warn' }, 'SIM_CONTROL_URL');
const api = sim.vars.SIM_CONTROL_URL!;
const post = async (path: string, body: unknown) => {
  const res = await fetch(`${api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
};

const fleet: { phone: string; client: TestClient; contacts: string[] }[] = [];
const pairStart = performance.now();
for (let i = 0; i < accounts; i++) {
  const phone = String(5500000000000 + i * 100);
  const contacts = Array.from({ length: CONTACTS }, (_, c) => String(5500000000000 + i * 100 + c + 1));
  await post('/accounts', { phone, contacts: contacts.map(p => ({ phone: p })), history: { chats: [] } });
  const client = new TestClient(sim.vars.WA_WS_URL!).start();
  const { qr } = await client.waitFor('connection.update', u => !!u.qr, { timeoutMs: 60_000 });
  await post('/scan', { phone, qr });
  await client.waitFor('connection.update', u => u.connection === 'open', { timeoutMs: 60_000 });
  fleet.push({ phone, client, contacts });
}
const pairSeconds = (performance.now() - pairStart) / 1000;
await new Promise(r => setTimeout(r, 3000)); // every client finishes its initial sync first

/** CPU seconds (user + system) a process has used, from /proc, so both sides of the loopback are seen. */
const cpuOf = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const surfaced = (c: TestClient) => c.all('messages.upsert').reduce((n, u) => n + (u.type === 'notify' ? u.messages.length : 0), 0);

async function round(plaintext: boolean) {
  const before = fleet.map(f => surfaced(f.client));
  const simCpu = cpuOf(sim.child.pid!);
  const ownCpu = cpuOf(process.pid);
  const start = performance.now();
  await Promise.all(
    fleet.map(async ({ phone, contacts }) => {
      for (let m = 0; m < perAccount; m++) await post(`/accounts/${phone}/messages`, { from: contacts[m % CONTACTS], text: `message ${m}`, plaintext });
    })
  );
  await Promise.all(
    fleet.map(({ client }, i) =>
      client.waitFor('messages.upsert', () => surfaced(client) - before[i]! >= perAccount, { timeoutMs: 300_000 }).catch(() => undefined)
    )
  );
  const seconds = (performance.now() - start) / 1000;
  const delivered = fleet.reduce((n, f, i) => n + surfaced(f.client) - before[i]!, 0);
  return {
    delivered,
    seconds: +seconds.toFixed(2),
    perSecond: Math.round(delivered / seconds),
    simulatorCpuSeconds: +(cpuOf(sim.child.pid!) - simCpu).toFixed(2),
    clientsCpuSeconds: +(cpuOf(process.pid) - ownCpu).toFixed(2)
  };
}

// Signal first: each contact's first message is a pkmsg, later ones msg, as in real traffic.
const signal = await round(false);
const baseline = await round(true);
console.log(
  JSON.stringify(
    {
      accounts,
      messagesPerAccount: perAccount,
      pairSeconds: +pairSeconds.toFixed(1),
      signal: { ...signal, target: TARGET },
      plaintextBaseline: baseline,
      clientProcessRssMiB: Math.round(process.memoryUsage().rss / 2 ** 20)
    },
    null,
    2
  )
);
fleet.forEach(f => f.client.stop());
await sim.stop();
process.exit(0);
