/**
 * Media memory: the hub's peak resident memory while it sends a large document
 * (multipart, streamed into the store, encrypted and uploaded by Baileys) and
 * receives one (downloaded and decrypted into the store, then served by GET),
 * beside the same for a 1 MiB document measured in the same run. A figure, not a
 * test: printed, not asserted.
 *
 * The hub runs as its own process (`server/main.ts` under tsx) so only its memory
 * is measured; the simulator runs in this process. The peak is Linux's VmHWM after
 * resetting it (`/proc/<pid>/clear_refs` ← 5) once the instance is open and idle.
 *
 *   NODE_EXTRA_CA_CERTS=simulator/test-certs/ca.pem npx tsx bench/media.ts [MiB=64]
 */
import { createHash, randomBytes } from 'node:crypto';
import { openAsBlob, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quietLibsignal } from '../server/logging/quiet-libsignal.js';
import { WhatsAppSimulator } from '../simulator/simulator.js';
import { ADMIN_KEY, hubClient } from '../tests/helpers/hub.js';
import { pairInstance } from '../tests/helpers/pairing.js';
import { spawnHub } from '../tests/helpers/processes.js';
import { tempDir } from '../tests/helpers/temp-dir.js';

const MIB = 1024 * 1024;
const SIZE = Number(process.argv[2] ?? 64) * MIB;
const PHONE = '5531970000001';
const ANA = '5531970000010';

if (!process.env.NODE_EXTRA_CA_CERTS) {
  process.stderr.write('set NODE_EXTRA_CA_CERTS=simulator/test-certs/ca.pem (the hub process inherits it)\n');
  process.exit(2);
}

const kb = (pid: number, field: 'VmRSS' | 'VmHWM') => {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN) * 1024;
};
const resetPeak = (pid: number) => writeFileSync(`/proc/${pid}/clear_refs`, '5');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const mib = (bytes: number) => (bytes / MIB).toFixed(1);
const waitUntil = async (cond: () => boolean | Promise<boolean>, timeoutMs: number) => {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise(r => setTimeout(r, 50));
  }
};

quietLibsignal(() => undefined);
const dir = tempDir('wahub-bench-media-');
const sim = await new WhatsAppSimulator({ receiptDelayMs: 50 }).start();
sim.createAccount({ phone: PHONE, contacts: [{ phone: ANA }] });
const hub = await spawnHub(dir.path, sim, ADMIN_KEY, { MEDIA_MAX_BYTES: String(Math.max(SIZE, 64 * MIB)), RATE_LIMIT_PER_SECOND: '0' });
// The hub is a child process: it must not outlive a failed run.
const stopAll = async () => {
  await hub.stop();
  await sim.stop();
  dir.cleanup();
};
process.once('uncaughtException', err => void stopAll().finally(() => (process.stderr.write(`${err.stack}\n`), process.exit(1))));
process.once('unhandledRejection', err => void stopAll().finally(() => (process.stderr.write(`${String(err)}\n`), process.exit(1))));
const url = hub.vars.WAHUB_URL!;
const api = hubClient(url);
const { token, client } = await pairInstance(api, sim, 'bench', PHONE);
const pid = hub.child.pid!;

/** One send and one receipt of `bytes` random bytes; answers the hub's RSS before and its peak during. */
async function round(bytes: number): Promise<{ before: number; peak: number }> {
  const file = join(dir.path, `doc-${bytes}`);
  const data = randomBytes(bytes);
  writeFileSync(file, data);
  const digest = sha256(data);
  await new Promise(r => setTimeout(r, 1000));
  const before = kb(pid, 'VmRSS');
  resetPeak(pid);

  const form = new FormData();
  form.set('number', ANA);
  form.set('mediatype', 'document');
  form.set('file', await openAsBlob(file), 'big.bin');
  const sent = (await (await fetch(`${url}/message/sendMedia/bench`, { method: 'POST', headers: { apikey: token }, body: form })).json()) as { key: { id: string } };
  await waitUntil(() => sim.outbox(PHONE).some(o => o.id === sent.key.id && o.media?.sha256 === digest), 600_000);

  const { messageId } = await sim.sendMedia(PHONE, ANA, { type: 'document', base64: data.toString('base64'), mimetype: 'application/octet-stream', fileName: 'in.bin' });
  await client.waitFor('new.message', e => e.data.header.messageId === messageId, 60_000);
  // Served back from the store once the eager download has it; read and hashed as a stream.
  await waitUntil(async () => {
    const res = await fetch(`${url}/media/bench/${messageId}`, { headers: { apikey: token } });
    if (res.status !== 200 || !res.body) return false;
    const hash = createHash('sha256');
    for await (const chunk of res.body) hash.update(chunk);
    return hash.digest('hex') === digest;
  }, 600_000);
  return { before, peak: kb(pid, 'VmHWM') };
}

const small = await round(1 * MIB);
const large = await round(SIZE);
process.stdout.write(
  [
    `hub peak RSS rise while sending and receiving one document (VmHWM − VmRSS before):`,
    `  ${'1.0'.padStart(6)} MiB: ${mib(small.peak - small.before)} MiB (RSS before ${mib(small.before)} MiB)`,
    `  ${mib(SIZE).padStart(6)} MiB: ${mib(large.peak - large.before)} MiB (RSS before ${mib(large.before)} MiB)`,
    ''
  ].join('\n')
);

client.close();
await stopAll();
process.exit(0);
