import { chatsRepository, type ChatsRepository } from '../../storage/chats-repository.js';
import { contactsRepository, type ContactsRepository } from '../../storage/contacts-repository.js';
import { addInstance, eachBackend, type TempDatabase } from './temp-database.js';

eachBackend(backend => {
  let temp: TempDatabase;
  let chats: ChatsRepository;
  let contacts: ContactsRepository;
  let instanceId: string;
  beforeEach(async () => {
    temp = await backend.open();
    chats = chatsRepository(temp.db);
    contacts = contactsRepository(temp.db);
    instanceId = addInstance(temp.db, 'sales').id;
  });
  afterEach(() => temp.cleanup());

  describe('chats', () => {
    test('a partial update keeps what it does not name, null clears, and the merged chat is answered', () => {
      chats.upsert(instanceId, { jid: '1@s.whatsapp.net', name: 'Ana', unreadCount: 3, conversationTimestamp: 100 });
      expect(chats.upsert(instanceId, { jid: '1@s.whatsapp.net', unreadCount: 0 })).toMatchObject({ name: 'Ana', unread_count: 0, conversation_timestamp: 100 });
      expect(chats.upsert(instanceId, { jid: '1@s.whatsapp.net', name: null })).toMatchObject({ name: null, unread_count: 0 });
      expect(chats.get(instanceId, '1@s.whatsapp.net')).toMatchObject({ name: null, unread_count: 0, conversation_timestamp: 100 });
    });

    test('list is most recent first, chats without a timestamp last; delete removes one', () => {
      chats.upsert(instanceId, { jid: 'old@s.whatsapp.net', conversationTimestamp: 1 });
      chats.upsert(instanceId, { jid: 'none@s.whatsapp.net' });
      chats.upsert(instanceId, { jid: 'new@s.whatsapp.net', conversationTimestamp: 9 });
      expect(chats.list(instanceId).map(c => c.jid)).toEqual(['new@s.whatsapp.net', 'old@s.whatsapp.net', 'none@s.whatsapp.net']);
      expect(chats.delete(instanceId, 'old@s.whatsapp.net')).toBe(true);
      expect(chats.delete(instanceId, 'old@s.whatsapp.net')).toBe(false);
      expect(chats.list(instanceId)).toHaveLength(2);
      expect(chats.list(addInstance(temp.db, 'other').id)).toEqual([]);
    });
  });

  describe('contacts', () => {
    test('a partial update keeps what it does not name, null clears, and the merged contact is answered', () => {
      contacts.upsert(instanceId, { jid: '1@s.whatsapp.net', name: 'Ana', lid: '9@lid', phoneNumber: '1' });
      expect(contacts.upsert(instanceId, { jid: '1@s.whatsapp.net', notify: 'Aninha' })).toEqual({
        jid: '1@s.whatsapp.net',
        lid: '9@lid',
        phone_number: '1',
        name: 'Ana',
        notify: 'Aninha',
        profile_picture_url: null
      });
      contacts.upsert(instanceId, { jid: '1@s.whatsapp.net', profilePictureUrl: 'https://pps.example/1.jpg', name: null });
      expect(contacts.get(instanceId, '1@s.whatsapp.net')).toMatchObject({ name: null, notify: 'Aninha', profile_picture_url: 'https://pps.example/1.jpg' });
      expect(contacts.list(instanceId)).toHaveLength(1);
      expect(contacts.delete(instanceId, '1@s.whatsapp.net')).toBe(true);
      expect(contacts.get(instanceId, '1@s.whatsapp.net')).toBeUndefined();
    });
  });
});
