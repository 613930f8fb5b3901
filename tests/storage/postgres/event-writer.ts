// One hub process's share of the two-writer test: opens (and migrates) the database at
// POSTGRES_URL, makes sure the shared instance exists, then appends BATCHES transactions of
// three events each and prints the seqs each batch got, as one JSON line.
import { eventLog } from '../../../storage/event-log.js';
import { openPostgres } from '../../../storage/database.js';

const db = openPostgres(process.env.POSTGRES_URL!);
db.prepare("INSERT INTO instances (id, name, token_hash, state, created_at) VALUES ('shared', 'shared', 'h', 'close', 0) ON CONFLICT DO NOTHING").run();
const log = eventLog(db);
const batches: number[][] = [];
const appendBatch = db.transaction(() => [1, 2, 3].map(n => log.append('shared', 'chats.update', { writer: process.pid, n })));
for (let i = 0; i < Number(process.env.BATCHES); i++) batches.push(appendBatch());
db.close();
console.log(`BATCHES_SEQS=${JSON.stringify(batches)}`);
