import { mediaRepository, type MediaRepository, type NewMedia } from '../../storage/media-repository.js';
import { addInstance, eachBackend, type TempDatabase } from './temp-database.js';

eachBackend(backend => {
  let temp: TempDatabase;
  let media: MediaRepository;
  let instanceId: string;
  beforeEach(async () => {
    temp = await backend.open();
    media = mediaRepository(temp.db);
    instanceId = addInstance(temp.db, 'sales').id;
  });
  afterEach(() => temp.cleanup());

  const row = (messageId: string, sha256: string, chatJid = '1@s.whatsapp.net', stored = false): NewMedia => ({
    instance_id: instanceId,
    message_id: messageId,
    chat_jid: chatJid,
    from_me: 0,
    media_type: 'image',
    mimetype: 'image/jpeg',
    file_length: 5_000_000_000,
    sha256,
    stored
  });

  test('register keeps what is known on a repeat; markStored sets the time once', () => {
    media.register(row('M1', 'aa'));
    expect(media.get(instanceId, 'M1')).toMatchObject({ sha256: 'aa', file_length: 5_000_000_000, stored_at: null, from_me: 0 });
    media.markStored(instanceId, 'M1');
    const stored = media.get(instanceId, 'M1')!.stored_at;
    expect(stored).toEqual(expect.any(Number));
    media.register(row('M1', 'aa'));
    media.markStored(instanceId, 'M1');
    expect(media.get(instanceId, 'M1')!.stored_at).toBe(stored);
    expect(media.names('aa')).toBe(true);
    expect(media.names('bb')).toBe(false);
  });

  test('forgetting answers a digest only when no other message names it', () => {
    media.register(row('M1', 'aa'));
    media.register(row('M2', 'aa', '2@s.whatsapp.net'));
    media.register(row('M3', 'cc', '2@s.whatsapp.net'));
    expect(media.forget(instanceId, 'M1')).toBeUndefined();
    expect(media.forget(instanceId, 'M1')).toBeUndefined();
    expect(media.forgetChat(instanceId, '2@s.whatsapp.net').sort()).toEqual(['aa', 'cc']);
    expect(media.get(instanceId, 'M2')).toBeUndefined();
  });

  test('pruning by age answers the digests left unnamed', () => {
    media.register(row('M1', 'aa'));
    expect(media.pruneBefore(Date.now() - 60_000)).toEqual([]);
    expect(media.pruneBefore(Date.now() + 60_000)).toEqual(['aa']);
    expect(media.get(instanceId, 'M1')).toBeUndefined();
  });
});
