import type { GroupMetadata } from '@whiskeysockets/baileys';
import { groupsRepository, type GroupsRepository } from '../../storage/groups-repository.js';
import { instancesRepository } from '../../storage/instances-repository.js';
import { addInstance, eachBackend, type TempDatabase } from './temp-database.js';

eachBackend(backend => {
  let temp: TempDatabase;
  let groups: GroupsRepository;
  let sales: string;
  let support: string;
  beforeEach(async () => {
    temp = await backend.open();
    groups = groupsRepository(temp.db);
    sales = addInstance(temp.db, 'sales').id;
    support = addInstance(temp.db, 'support').id;
  });
  afterEach(() => temp.cleanup());

  const group = (id: string, subject: string): GroupMetadata => ({
    id,
    subject,
    owner: '100000000000010@lid',
    participants: [{ id: '100000000000010@lid', phoneNumber: '5531900000010@s.whatsapp.net', admin: 'superadmin' }]
  });

  test('put replaces a group whole, per instance; what comes back is what Baileys gave, survived a reopen', () => {
    groups.put(sales, group('1@g.us', 'Team'));
    groups.put(sales, group('1@g.us', 'Team 2'));
    groups.put(support, group('1@g.us', 'Theirs'));
    expect(groups.get(sales, '1@g.us')).toEqual(group('1@g.us', 'Team 2'));
    groups = groupsRepository(temp.reopen());
    expect(groups.get(support, '1@g.us')?.subject).toBe('Theirs');
    expect(groups.get(sales, '2@g.us')).toBeUndefined();
  });

  test('list is by JID; delete removes one; deleting the instance removes its groups', () => {
    groups.put(sales, group('2@g.us', 'B'));
    groups.put(sales, group('1@g.us', 'A'));
    expect(groups.list(sales).map(g => g.id)).toEqual(['1@g.us', '2@g.us']);
    expect(groups.delete(sales, '2@g.us')).toBe(true);
    expect(groups.delete(sales, '2@g.us')).toBe(false);
    instancesRepository(temp.db).delete(sales);
    expect(groups.list(sales)).toEqual([]);
  });
});
