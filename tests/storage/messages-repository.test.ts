import { proto, type WAMessage } from '@whiskeysockets/baileys';
import { messagesRepository, type MessageCursor, type MessagesRepository, type StoredMessage } from '../../storage/messages-repository.js';
import { addInstance, eachBackend, type TempDatabase } from './temp-database.js';

eachBackend(backend => {
  let temp: TempDatabase;
  let messages: MessagesRepository;
  let instanceId: string;
  beforeEach(async () => {
    temp = await backend.open();
    messages = messagesRepository(temp.db);
    instanceId = addInstance(temp.db, 'sales').id;
  });
  afterEach(() => temp.cleanup());

  const CHAT = '5531900000010@s.whatsapp.net';

  function textMessage(id: string, timestamp: number, fromMe = false, chatJid = CHAT): StoredMessage {
    const message: WAMessage = { key: { remoteJid: chatJid, id, fromMe }, message: { conversation: `text ${id}` }, messageTimestamp: timestamp };
    return { chatJid, id, fromMe, participant: null, pushName: fromMe ? null : 'Ana', messageType: 'conversation', message, status: null, timestamp };
  }

  describe('paging a chat newest first', () => {
    test('walks every message exactly once by cursor, ties on the second included', () => {
      const stored = [
        textMessage('A1', 100),
        textMessage('B2', 101, true),
        textMessage('C3', 102),
        textMessage('D4', 102),
        textMessage('D4', 102, true), // the same id in the other direction is another message
        textMessage('E5', 102, true),
        textMessage('F6', 103)
      ];
      // Inserted out of order: the order comes from the query, not from insertion.
      for (const m of [...stored].reverse().concat(stored.slice(0, 1))) messages.upsert(instanceId, m);
      messages.upsert(instanceId, textMessage('Z9', 999, false, '5531900000099@s.whatsapp.net'));

      const seen: string[] = [];
      let before: MessageCursor | undefined;
      let pages = 0;
      do {
        const page = messages.page(instanceId, CHAT, { limit: 2, before });
        seen.push(...page.messages.map(m => `${m.id}/${m.fromMe ? 'me' : 'them'}`));
        before = page.next ?? undefined;
        pages++;
      } while (before && pages < 10);

      expect(seen).toEqual(['F6/them', 'E5/me', 'D4/me', 'D4/them', 'C3/them', 'B2/me', 'A1/them']);
      expect(pages).toBe(4);
    });

    test('the first page starts at the newest and says where the next one starts', () => {
      for (let i = 1; i <= 5; i++) messages.upsert(instanceId, textMessage(`M${i}`, 1000 + i));
      const first = messages.page(instanceId, CHAT, { limit: 2 });
      expect(first.messages.map(m => m.id)).toEqual(['M5', 'M4']);
      expect(first.next).toEqual({ timestamp: 1004, id: 'M4', fromMe: false });
      const second = messages.page(instanceId, CHAT, { limit: 2, before: first.next! });
      expect(second.messages.map(m => m.id)).toEqual(['M3', 'M2']);
      const last = messages.page(instanceId, CHAT, { limit: 2, before: second.next! });
      expect(last.messages.map(m => m.id)).toEqual(['M1']);
      expect(last.next).toBeNull();
      expect(messages.page(instanceId, CHAT, { limit: 5 }).next).toBeNull();
    });

    test('a page answers StoredMessage with the WAMessage rebuilt', () => {
      messages.upsert(instanceId, textMessage('M1', 1000));
      const [m] = messages.page(instanceId, CHAT, { limit: 1 }).messages;
      expect(m).toEqual(textMessage('M1', 1000));
    });

    test('refuses a limit that is not a positive integer', () => {
      expect(() => messages.page(instanceId, CHAT, { limit: 0 })).toThrow(RangeError);
    });
  });

  describe("getMessage for Baileys' retries", () => {
    const mediaKey = Buffer.from('a'.repeat(32));
    const fileSha256 = Buffer.from([0, 1, 2, 255]);
    const image: proto.IMessage = {
      imageMessage: { mimetype: 'image/jpeg', caption: 'look', mediaKey, fileSha256, fileLength: 123456, height: 10, width: 20 }
    };
    const stored: StoredMessage = {
      chatJid: CHAT,
      id: 'IMG1',
      fromMe: true,
      participant: null,
      pushName: null,
      messageType: 'imageMessage',
      message: { key: { remoteJid: CHAT, id: 'IMG1', fromMe: true }, message: image, messageTimestamp: 1000 },
      status: 'SERVER_ACK',
      timestamp: 1000
    };

    test('answers the stored content as a protobuf message, Buffers intact, that encodes like the original', () => {
      messages.upsert(instanceId, stored);
      const got = messages.getMessage(instanceId, { remoteJid: CHAT, id: 'IMG1', fromMe: true });
      expect(got).toBeInstanceOf(proto.Message);
      expect(got?.imageMessage).toBeInstanceOf(proto.Message.ImageMessage);
      expect(Buffer.isBuffer(got?.imageMessage?.mediaKey)).toBe(true);
      expect(Buffer.compare(got!.imageMessage!.mediaKey!, mediaKey)).toBe(0);
      expect(Buffer.from(proto.Message.encode(got!).finish())).toEqual(Buffer.from(proto.Message.encode(image).finish()));
    });

    test('after a reopen too', () => {
      messages.upsert(instanceId, stored);
      const got = messagesRepository(temp.reopen()).getMessage(instanceId, { remoteJid: CHAT, id: 'IMG1', fromMe: true });
      expect(got?.imageMessage?.caption).toBe('look');
    });

    test('a key naming the chat by its LID still finds it by id and direction; the wrong direction or id does not', () => {
      messages.upsert(instanceId, stored);
      expect(messages.getMessage(instanceId, { remoteJid: '123456789@lid', id: 'IMG1', fromMe: true })?.imageMessage?.caption).toBe('look');
      expect(messages.getMessage(instanceId, { remoteJid: CHAT, id: 'IMG1', fromMe: false })).toBeUndefined();
      expect(messages.getMessage(instanceId, { remoteJid: CHAT, id: 'NOPE', fromMe: true })).toBeUndefined();
      expect(messages.getMessage(instanceId, { remoteJid: CHAT })).toBeUndefined();
    });

    test('another instance never gets the message', () => {
      messages.upsert(instanceId, stored);
      const other = addInstance(temp.db, 'support').id;
      expect(messages.getMessage(other, { remoteJid: CHAT, id: 'IMG1', fromMe: true })).toBeUndefined();
    });
  });

  describe('writes', () => {
    test('updateStatus, and a re-delivered copy without status keeps the status', () => {
      messages.upsert(instanceId, textMessage('M1', 1000, true));
      expect(messages.updateStatus(instanceId, CHAT, 'M1', true, 'READ')).toBe(true);
      expect(messages.updateStatus(instanceId, CHAT, 'M1', false, 'READ')).toBe(false);
      messages.upsert(instanceId, textMessage('M1', 1000, true));
      expect(messages.get(instanceId, CHAT, 'M1', true)?.status).toBe('READ');
    });

    test('delete removes one message, clearChat every message of the chat', () => {
      for (const id of ['M1', 'M2', 'M3']) messages.upsert(instanceId, textMessage(id, 1000));
      messages.upsert(instanceId, textMessage('O1', 1000, false, '5531900000099@s.whatsapp.net'));
      expect(messages.delete(instanceId, CHAT, 'M1', false)).toBe(true);
      expect(messages.delete(instanceId, CHAT, 'M1', false)).toBe(false);
      expect(messages.get(instanceId, CHAT, 'M1', false)).toBeUndefined();
      expect(messages.clearChat(instanceId, CHAT)).toBe(2);
      expect(messages.page(instanceId, CHAT, { limit: 10 }).messages).toEqual([]);
      expect(messages.get(instanceId, '5531900000099@s.whatsapp.net', 'O1', false)).toBeDefined();
    });
  });
});
