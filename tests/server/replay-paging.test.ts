import { join } from 'node:path';
import pino from 'pino';
import { createStorage, type Storage } from '../../storage/index.js';
import { ClientBudget, DeliveryStats, type ClientPort } from '../../server/transports/client-port.js';
import { REPLAY_PAGE, replayThenJoin } from '../../server/transports/replay.js';
import { tempDir } from '../helpers/temp-dir.js';

const BOUND = 4096;

/** A socket that never drains by itself: the test empties it, as a client that reads in bursts would. */
class BurstyPort implements ClientPort {
  readonly transport = 'websocket' as const;
  readonly principal = { kind: 'admin' as const };
  closed = false;
  received: number[] = [];
  maxWaiting = 0;
  private waiting = 0;
  private waiters: (() => void)[] = [];

  waitingBytes = () => this.waiting;
  drained = (bytes: number) => (this.waiting <= bytes ? Promise.resolve() : new Promise<void>(resolve => this.waiters.push(resolve)));
  write(raw: string): void {
    this.received.push((JSON.parse(raw) as { seq: number }).seq);
    this.waiting += Buffer.byteLength(raw);
    this.maxWaiting = Math.max(this.maxWaiting, this.waiting);
  }
  close(): void {
    this.closed = true;
  }
  readAll(): void {
    this.waiting = 0;
    this.waiters.splice(0).forEach(resolve => resolve());
  }
}

let dir: ReturnType<typeof tempDir>;
let storage: Storage;
const ID = 'inst-1';

beforeEach(() => {
  dir = tempDir('wahub-replay-');
  storage = createStorage(join(dir.path, 'hub.sqlite'));
  storage.instances.create({ id: ID, name: 'paged', token_hash: 'h', state: 'close' });
});
afterEach(() => {
  storage.close();
  dir.cleanup();
});

const append = () => storage.events.append(ID, 'x', (seq, timestamp) => ({ event: 'x', seq, timestamp, pad: 'p'.repeat(40) }));

test('a paged replay with events committed while it waits for the socket ends with every event once, in order, within the bound', async () => {
  for (let i = 0; i < 2.5 * REPLAY_PAGE; i++) append();
  const port = new BurstyPort();
  const budget = new ClientBudget(BOUND, new DeliveryStats(), pino({ level: 'silent' }));
  let joined = false;
  // What delivery does once the client follows live: the pipeline writes each committed event to it.
  const commit = () => {
    const { payload } = append();
    if (joined) port.write(payload);
  };
  const src = { storage, budget, instanceId: ID, lastSeq: () => storage.events.lastSeq(ID), authorize: () => undefined };
  const done = replayThenJoin(src, port, 0, () => (joined = true));
  let waits = 0;
  while (!joined) {
    await new Promise(r => setImmediate(r));
    commit();
    commit();
    port.readAll();
    waits++;
  }
  commit();
  const result = await done;

  const last = storage.events.lastSeq(ID);
  expect(port.received).toEqual(Array.from({ length: last }, (_, i) => i + 1));
  expect(result).toMatchObject({ more: false, gap: false, reset: false });
  expect(result.replayed).toBeLessThan(last); // the rest came live, after the join
  expect(waits).toBeGreaterThan(5); // it really waited for the socket, page after page
  expect(port.maxWaiting).toBeLessThanOrEqual(BOUND);
});

test('a client with nothing to catch up joins at once; one with seqs beyond the log gets it all again, marked reset', async () => {
  for (let i = 0; i < 3; i++) append();
  const port = new BurstyPort();
  const budget = new ClientBudget(1 << 20, new DeliveryStats(), pino({ level: 'silent' }));
  const src = { storage, budget, instanceId: ID, lastSeq: () => storage.events.lastSeq(ID), authorize: () => undefined };
  let joined = false;
  const result = await replayThenJoin(src, port, 3, () => (joined = true));
  expect(result).toMatchObject({ replayed: 0, lastSeq: 3, more: false });
  expect(joined).toBe(true);
  const reset = await replayThenJoin(src, port, 99, () => undefined);
  expect(reset).toMatchObject({ reset: true, replayed: 3, lastSeq: 3 });
});
