import pino from 'pino';
import type { StoreHealth, StoreProblem } from '../../../storage/index.js';
import { StoreMonitor } from '../../../server/health/store-monitor.js';

const full: StoreProblem = { code: 'SQLITE_FULL', reason: 'the disk is full', lasting: false };
const removed: StoreProblem = { code: 'REMOVED', reason: 'the database file was removed', lasting: true };

function monitorWith(results: (StoreProblem | undefined)[]) {
  const health: StoreHealth = { check: () => results.shift(), migrated: () => true };
  const monitor = new StoreMonitor(health, pino({ level: 'silent' }), 1000);
  const calls: string[] = [];
  monitor.listen({ down: p => calls.push(`down ${p.code}`), up: () => calls.push('up') });
  return { monitor, calls };
}

test('a passing failure is reported down once and up once when a probe succeeds again', () => {
  const { monitor, calls } = monitorWith([full, full, undefined, undefined]);
  expect(monitor.check()).toEqual(full);
  expect(monitor.check()).toEqual(full);
  expect(monitor.check()).toBeUndefined();
  expect(monitor.check()).toBeUndefined();
  expect(calls).toEqual(['down SQLITE_FULL', 'up']);
});

test('a removed file stays down: no probe can bring it back', () => {
  const { monitor, calls } = monitorWith([removed, undefined]);
  expect(monitor.check()).toEqual(removed);
  expect(monitor.check()).toEqual(removed);
  expect(calls).toEqual(['down REMOVED']);
});

test('write errors: SQLite codes that mean the store is down count, others do not', () => {
  const { monitor, calls } = monitorWith([]);
  expect(monitor.reportWriteError(Object.assign(new Error('constraint'), { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }))).toBe(false);
  expect(monitor.reportWriteError(new Error('not sqlite'))).toBe(false);
  expect(monitor.current).toBeUndefined();
  expect(monitor.reportWriteError(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))).toBe(true);
  expect(monitor.reportWriteError(Object.assign(new Error('malformed'), { code: 'SQLITE_CORRUPT' }))).toBe(true);
  // A worse (lasting) problem replaces a passing one and is announced; a passing one never replaces it.
  expect(monitor.reportWriteError(Object.assign(new Error('full again'), { code: 'SQLITE_FULL' }))).toBe(true);
  expect(monitor.current).toMatchObject({ code: 'SQLITE_CORRUPT', lasting: true });
  expect(calls).toEqual(['down SQLITE_FULL', 'down SQLITE_CORRUPT']);
});

test('write errors: PostgreSQL SQLSTATEs that mean the store is down count, others do not', () => {
  const { monitor, calls } = monitorWith([]);
  expect(monitor.reportWriteError(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
  expect(monitor.reportWriteError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(false);
  expect(monitor.current).toBeUndefined();
  expect(monitor.reportWriteError(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toBe(true);
  expect(monitor.current).toMatchObject({ code: '57P01', reason: 'the database cannot be reached', lasting: false });
  expect(monitor.reportWriteError(Object.assign(new Error('could not read block'), { code: 'XX001' }))).toBe(true);
  expect(monitor.current).toMatchObject({ code: 'XX001', reason: 'the database is corrupt', lasting: true });
  expect(calls).toEqual(['down 57P01', 'down XX001']);
});
