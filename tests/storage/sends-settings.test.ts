import { sendsRepository } from '../../storage/sends-repository.js';
import { settingsRepository } from '../../storage/settings-repository.js';
import { storeHealth } from '../../storage/store-health.js';
import { addInstance, eachBackend, type TempDatabase } from './temp-database.js';

eachBackend(backend => {
  let temp: TempDatabase;
  beforeEach(async () => {
    temp = await backend.open();
  });
  afterEach(() => temp.cleanup());

  test('sends count per instance and day; a new day drops the old ones', () => {
    const sends = sendsRepository(temp.db);
    const a = addInstance(temp.db, 'alpha').id;
    const b = addInstance(temp.db, 'beta').id;
    const day = Date.UTC(2026, 0, 1);
    sends.record(a, day);
    sends.record(a, day);
    sends.record(b, day);
    expect([sends.on(a, day), sends.on(b, day)]).toEqual([2, 1]);
    sends.record(a, day + 86_400_000);
    expect([sends.on(a, day), sends.on(a, day + 86_400_000)]).toEqual([0, 1]);
  });

  test('settings are one string per key, replaced on set, kept across a reopen', () => {
    settingsRepository(temp.db).set('admin.key', 'h1');
    settingsRepository(temp.db).set('admin.key', 'h2');
    expect(settingsRepository(temp.reopen()).get('admin.key')).toBe('h2');
    expect(settingsRepository(temp.db).get('nope')).toBeUndefined();
  });

  test('the health probe writes and the schema counts as migrated', () => {
    const health = storeHealth(temp.db, backend.name === 'sqlite' ? temp.location : undefined);
    expect(health.check()).toBeUndefined();
    expect(health.migrated()).toBe(true);
    expect(settingsRepository(temp.db).get('store.probe')).toEqual(expect.any(String));
  });
});
