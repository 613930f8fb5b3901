import { settingsRepository } from '../../storage/settings-repository.js';
import { eachBackend, type TempDatabase } from './temp-database.js';

eachBackend(backend => {
  let temp: TempDatabase;
  beforeEach(async () => {
    temp = await backend.open();
  });
  afterEach(() => temp.cleanup());

  test('setIfAbsent keeps the first value stored, for every later caller on the same store', () => {
    const first = settingsRepository(temp.db);
    expect(first.setIfAbsent('media.secret', 'aaaa')).toBe('aaaa');
    // Another node on the same store, booting a moment later, gets the value already there.
    expect(settingsRepository(temp.db).setIfAbsent('media.secret', 'bbbb')).toBe('aaaa');
    first.set('other', 'x');
    expect(settingsRepository(temp.db).setIfAbsent('other', 'y')).toBe('x');
    expect(settingsRepository(temp.reopen()).get('media.secret')).toBe('aaaa');
  });
});
