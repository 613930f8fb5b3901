import { instanceSettingsRepository } from '../../storage/instance-settings-repository.js';
import { instancesRepository } from '../../storage/instances-repository.js';
import { eachBackend, type TempDatabase } from './temp-database.js';

eachBackend(backend => {
  let temp: TempDatabase;
  beforeEach(async () => {
    temp = await backend.open();
  });
  afterEach(() => temp.cleanup());

  test('settings are stored whole per instance, survive a reopen, and go with their instance', () => {
    const instances = instancesRepository(temp.db);
    const a = instances.create({ name: 'alpha', token_hash: 'ha', state: 'close' });
    const b = instances.create({ name: 'beta', token_hash: 'hb', state: 'close' });
    const settings = instanceSettingsRepository(temp.db);
    expect(settings.get(a.id)).toBeUndefined();
    settings.set(a.id, { rejectCalls: true, proxy: 'http://u:p@127.0.0.1:3128' });
    settings.set(b.id, { readMessages: true });
    // A second set replaces the object, it does not merge into it.
    settings.set(a.id, { rejectCalls: false });
    expect(settings.get(a.id)).toEqual({ rejectCalls: false });

    const reopened = instanceSettingsRepository(temp.reopen());
    expect(reopened.get(b.id)).toEqual({ readMessages: true });
    instancesRepository(temp.db).delete(b.id);
    expect(reopened.get(b.id)).toBeUndefined();
    expect(temp.db.prepare('SELECT COUNT(*) FROM instance_settings').pluck().get()).toBe(1);
  });

  test('settings for an instance that does not exist are refused by the foreign key', () => {
    expect(() => instanceSettingsRepository(temp.db).set('no-such-instance', {})).toThrow(/FOREIGN KEY|foreign key/);
  });
});
