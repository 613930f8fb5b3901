import { ConnectionLostError, PostgresDatabase } from '../../../storage/index.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => server.stop());

let db: PostgresDatabase;
let other: PostgresDatabase;
beforeEach(async () => {
  const url = await server.createDatabase();
  db = new PostgresDatabase(url);
  other = new PostgresDatabase(url);
  db.exec('CREATE TABLE t (id BIGINT PRIMARY KEY, note TEXT)');
});
afterEach(() => {
  db.close();
  other.close();
});

const ids = () => other.prepare<[], number>('SELECT id FROM t ORDER BY id').pluck().all();
const insert = (id: number) => db.prepare('INSERT INTO t (id) VALUES (?)').run(id);

test('answers rows synchronously, BIGINTs as numbers, with the count of changed rows', () => {
  const at = 1_700_000_000_123;
  expect(insert(at).changes).toBe(1);
  expect(db.prepare('SELECT id, note FROM t WHERE id = @id').get({ id: at })).toEqual({ id: at, note: null });
  expect(db.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(1);
  expect(db.prepare('UPDATE t SET note = ?').run('x').changes).toBe(1);
  expect(db.prepare('SELECT id FROM t WHERE id = ?').get(1)).toBeUndefined();
});

test('a transaction commits whole or not at all; a nested one is a savepoint', () => {
  db.transaction(() => {
    insert(1);
    expect(() =>
      db.transaction(() => {
        insert(2);
        throw new Error('inner');
      })()
    ).toThrow('inner');
    insert(3);
  })();
  expect(ids()).toEqual([1, 3]);
  expect(() =>
    db.transaction(() => {
      insert(4);
      throw new Error('outer');
    })()
  ).toThrow('outer');
  expect(ids()).toEqual([1, 3]);
  expect(db.inTransaction).toBe(false);
});

test('an async function is refused and rolled back', () => {
  expect(() => db.transaction(async () => insert(1))()).toThrow(/promise/);
  expect(ids()).toEqual([]);
});

test('a failed statement caught inside a transaction fails the commit instead of losing the writes silently', () => {
  expect(() =>
    db.transaction(() => {
      insert(1);
      try {
        insert(1);
      } catch {
        // SQLite would go on; PostgreSQL has aborted the transaction.
      }
      insert(2);
    })()
  ).toThrow(/duplicate key/);
  expect(ids()).toEqual([]);
  insert(5);
  expect(ids()).toEqual([5]);
});

test('a connection killed inside a transaction fails the whole transaction and is not replaced until it ends', () => {
  insert(1);
  const pid = db.prepare<[], number>('SELECT pg_backend_pid()').pluck().get()!;
  const seen: unknown[] = [];
  expect(() =>
    db.transaction(() => {
      insert(2);
      other.prepare('SELECT pg_terminate_backend(?)').get(pid);
      for (const id of [3, 4]) {
        try {
          insert(id);
        } catch (err) {
          seen.push(err);
        }
      }
    })()
  ).toThrow(ConnectionLostError);
  // Both later writes failed: none went to a fresh connection outside the transaction.
  expect(seen).toEqual([expect.any(ConnectionLostError), expect.any(ConnectionLostError)]);
  expect(ids()).toEqual([1]);
  expect(db.inTransaction).toBe(false);
  // Outside a transaction the next statement takes a new connection.
  insert(5);
  expect(ids()).toEqual([1, 5]);
  expect(db.prepare('SELECT pg_backend_pid()').pluck().get()).not.toBe(pid);
});

test('a query that outlives the timeout restarts the worker, and the next query runs on a new connection', async () => {
  const url = await server.createDatabase();
  const slow = new PostgresDatabase(url, { timeoutMs: 300 });
  try {
    const pid = slow.prepare('SELECT pg_backend_pid()').pluck().get();
    expect(() => slow.prepare('SELECT pg_sleep(5)').get()).toThrow(ConnectionLostError);
    expect(slow.prepare('SELECT pg_backend_pid()').pluck().get()).not.toBe(pid);
  } finally {
    slow.close();
  }
});

test('a session abandoned by a timed-out caller does not keep its locks: the server ends its statement too', async () => {
  const url = await server.createDatabase();
  const slow = new PostgresDatabase(url, { timeoutMs: 300 });
  const waiting = new PostgresDatabase(url, { timeoutMs: 5000 });
  try {
    slow.exec('CREATE TABLE counter (id INTEGER PRIMARY KEY, n BIGINT); INSERT INTO counter VALUES (1, 0)');
    expect(() =>
      slow.transaction(() => {
        slow.prepare('UPDATE counter SET n = n + 1 WHERE id = 1').run();
        slow.prepare('SELECT pg_sleep(30)').get();
      })()
    ).toThrow(ConnectionLostError);
    // Blocks on the row lock until the abandoned session's statement is cancelled and its transaction rolled back.
    expect(waiting.prepare('UPDATE counter SET n = n + 10 WHERE id = 1 RETURNING n').pluck().get()).toBe(10);
  } finally {
    slow.close();
    waiting.close();
  }
});
