/**
 * History ingest: 50,000 messages in 500 chats, sent by the simulator as the
 * first history sync, until the hub has stored them and a Socket.IO subscriber
 * has every one in `messages.set`; with the longest event-loop stall of the hub
 * process meanwhile (`monitorEventLoopDelay`), timed from `open`. Baseline, in
 * the same run: the rows the hub stored, inserted with raw better-sqlite3 into
 * the same table in 100-row transactions.
 *
 *   node --import tsx bench/history.ts [messages=50000] [chats=500]
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import BetterSqlite3 from 'better-sqlite3';
import { quietLibsignal } from '../server/logging/quiet-libsignal.js';
import { EventClient, startHub } from '../tests/helpers/hub.js';
import { tempDir } from '../tests/helpers/temp-dir.js';
import { report, since } from './figures.js';
import { sleep, spawnSimulator } from './harness.js';

quietLibsignal();
const MESSAGES = Number(process.argv[2] ?? 50_000);
const CHATS = Number(process.argv[3] ?? 500);
const HUB_PHONE = '5580000000001';

const sim = await spawnSimulator();
let delivered = 0;
const history = () => {
  const chats = Array.from({ length: CHATS }, (_, c) => String(5581000000000 + c));
  return {
    chats: chats.map(phone => ({ phone })),
    messages: Array.from({ length: MESSAGES }, (_, i) => ({ chat: chats[i % CHATS]!, text: `history message ${i} with a little text in it`, fromMe: i % 3 === 0 }))
  };
};
await sim.post('/accounts', { phone: HUB_PHONE, history: history() });

async function until(test: () => boolean, timeoutMs = Number(process.env.HISTORY_TIMEOUT_MS ?? 300_000)): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`history: not every message arrived (${delivered} delivered)`);
    await sleep(5);
  }
}

// Through the hub.
const hub = await startHub(sim, { env: { RATE_LIMIT_PER_SECOND: '0' } });
const created = await hub.request('POST', '/instance/create', { instanceName: 'hist' });
const client = new EventClient(hub.url, created.json.token);
await client.connected();
await client.emit('subscribe', { instance: 'hist' });
await hub.request('GET', '/instance/connect/hist', undefined, created.json.token);
const qr = await client.waitFor('qrcode.updated');

client.socket.on('messages.set', (e: { data: unknown[] }) => (delivered += e.data.length));
const stalls = monitorEventLoopDelay({ resolution: 10 });
await sim.scan(HUB_PHONE, qr.data.qrcode.code);
await client.waitFor('connection.update', e => e.data.state === 'open', 120_000);
let t = performance.now();
stalls.enable();
await until(() => delivered >= MESSAGES);
const hubMs = since(t);
stalls.disable();
const hubDb = hub.app.storage.db;
const stored = (hubDb.prepare('SELECT COUNT(*) AS n FROM messages').get() as { n: number }).n;
// Baseline: the very rows the hub stored, inserted with raw better-sqlite3 into the same table, 100 rows a transaction.
const schema = hubDb.prepare("SELECT sql FROM sqlite_master WHERE tbl_name = 'messages' AND sql IS NOT NULL AND type IN ('table', 'index')").pluck().all() as string[];
const rows = hubDb.prepare('SELECT * FROM messages').all() as Record<string, unknown>[];
client.close();
await hub.close();

const dir = tempDir('wahub-bench-history-');
const db = new BetterSqlite3(`${dir.path}/raw.db`);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
// The hub's table without its foreign key to instances, which the raw file does not have.
for (const sql of schema) db.exec(sql.replace(/REFERENCES\s+\w+\s*\([^)]*\)(\s+ON DELETE CASCADE)?/gi, ''));
const columns = Object.keys(rows[0] ?? {});
const insert = db.prepare(`INSERT INTO messages (${columns.join(', ')}) VALUES (${columns.map(c => `@${c}`).join(', ')})`);
const flush = db.transaction((items: Record<string, unknown>[]) => items.forEach(r => insert.run(r)));
t = performance.now();
for (let i = 0; i < rows.length; i += 100) flush(rows.slice(i, i + 100));
const bareMs = since(t);
db.close();
dir.cleanup();

report([
  {
    id: 'history.perSecond',
    figure: `history ingest, ${MESSAGES.toLocaleString('en')} messages in ${CHATS} chats, stored and delivered`,
    unit: 'msg/s',
    wahub: MESSAGES / (hubMs / 1000),
    baseline: MESSAGES / (bareMs / 1000),
    goal: { ratioAtLeast: 0.5 },
    note: `timed from open, so Baileys' own inflate and decode of the sync count too; baseline: the ${rows.length} rows the hub stored (of ${stored}), inserted with raw better-sqlite3 into the same table in 100-row transactions`
  },
  {
    id: 'history.maxStall',
    figure: 'longest event-loop stall during the ingest',
    unit: 'ms',
    wahub: stalls.max / 1e6,
    baseline: null,
    goal: { atMost: 100 }
  }
]);
await sim.stop();
process.exit(0);
