/**
 * Sends to a 256-member group (the account and 255 contacts): the first send,
 * which distributes the account's sender key to every member device (one
 * Signal session set up and one pkmsg per member), against the later ones, which
 * are a single `skmsg` encrypted once. Baseline in the same run: a 1:1 send.
 *
 * For each send: `acceptedMs`, until the hub answered (Baileys encrypted and wrote
 * the stanza), `readMs`, until every member's phone in the simulator decrypted it,
 * and `hubCpuMs`, the CPU this process (the hub) used meanwhile. The simulator
 * runs as its own process, so its decryption is not counted as the hub's.
 *
 *   npx tsx bench/groups.ts [members=256] [laterSends=10]
 */
import { performance } from 'node:perf_hooks';
import { quietLibsignal } from '../server/logging/quiet-libsignal.js';
import type { WhatsAppSimulator } from '../simulator/simulator.js';
import { startHub } from '../tests/helpers/hub.js';
import { simControl, spawnSimulator } from '../tests/helpers/processes.js';

quietLibsignal();
const MEMBERS = Number(process.argv[2] ?? 256);
const LATER = Number(process.argv[3] ?? 10);
const ME = '5511900000000';
const contacts = Array.from({ length: MEMBERS - 1 }, (_, i) => String(5511910000000 + i));

const sim = await spawnSimulator({ SIM_RECEIPT_DELAY_MS: '200' });
const control = simControl(sim.controlUrl);
await control.call('POST', '/accounts', { phone: ME, pushName: 'Bench', contacts: contacts.map(phone => ({ phone })), history: { chats: [] } });
const hub = await startHub({ url: sim.url, rootPublicKeyHex: sim.rootPublicKeyHex } as WhatsAppSimulator, { env: { RATE_LIMIT_PER_SECOND: '0' } });

const ok = async (res: Promise<{ status: number; json: any }>) => {
  const r = await res;
  if (r.status >= 300) throw new Error(JSON.stringify(r.json));
  return r.json;
};
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

await ok(hub.request('POST', '/instance/create', { instanceName: 'bench' }));
let qr: string | undefined;
for (let i = 0; i < 100 && !qr; i++, await sleep(100)) qr = (await ok(hub.request('GET', '/instance/connect/bench'))).qrcode?.code;
await control.scan(ME, qr!);
for (let i = 0; i < 200 && (await ok(hub.request('GET', '/instance/connectionState/bench'))).state !== 'open'; i++) await sleep(100);
await sleep(2000); // the first history sync settles

const group = await ok(hub.request('POST', '/group/create/bench', { subject: 'Bench group', participants: contacts }));
if (group.size !== MEMBERS) throw new Error(`the group has ${group.size} members, not ${MEMBERS}`);

type Entry = { id: string; participants?: string[] };
async function readBy(id: string, readers: number): Promise<void> {
  for (;;) {
    const entry = (await control.call<Entry[]>('GET', `/accounts/${ME}/outbox`)).find(e => e.id === id);
    if (entry && (entry.participants?.length ?? 1) >= readers) return;
    await sleep(20);
  }
}

async function send(number: string, text: string, readers: number) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const sent = await ok(hub.request('POST', '/message/sendText/bench', { number, text }));
  const acceptedMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  await readBy(sent.key.id, readers);
  const readMs = performance.now() - start;
  return { acceptedMs: Math.round(acceptedMs), readMs: Math.round(readMs), hubCpuMs: Math.round((used.user + used.system) / 1000) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const oneToOne = await send(contacts[0]!, 'baseline', 1);
const first = await send(group.id, 'first', MEMBERS - 1);
const later = [];
for (let i = 0; i < LATER; i++) later.push(await send(group.id, `later ${i}`, MEMBERS - 1));
console.log(
  JSON.stringify(
    {
      members: MEMBERS,
      oneToOne,
      firstSend: first,
      laterSends: {
        count: LATER,
        acceptedMsMedian: median(later.map(s => s.acceptedMs)),
        readMsMedian: median(later.map(s => s.readMs)),
        hubCpuMsMedian: median(later.map(s => s.hubCpuMs))
      },
      note: 'first send: sender key to every member device; later: one skmsg, members from the stored metadata'
    },
    null,
    2
  )
);
await hub.close();
sim.child.kill('SIGTERM');
process.exit(0);
