import {
  GroupCipher,
  GroupSessionBuilder,
  SenderKeyDistributionMessage,
  SenderKeyName,
  SenderKeyRecord
} from '@whiskeysockets/baileys/lib/Signal/Group/index.js';
import { BufferJSON, encodeWAMessage, getBinaryNodeChild, getBinaryNodeChildren, proto, unpadRandomMax16, type BinaryNode } from '@whiskeysockets/baileys';
import type { SimAccount } from './account.js';
import type { SimGroup } from './groups.js';
import type { Companion, OutboxEntry, Phone, SimContact, StanzaBuilder } from './model.js';
import type { SignalDevice } from './signal-device.js';

/**
 * Sender keys (Signal's group keys) a simulated device holds: its own per group,
 * and the ones other senders distributed to it. In memory, as the rest of a device.
 * Baileys' own implementation of the sender-key protocol does the cryptography,
 * so both ends speak exactly the same format.
 */
class SenderKeyStore {
  private readonly records = new Map<string, SenderKeyRecord>();
  /** Client devices (libsignal peers) this device's own key per group was already sent to. */
  readonly distributed = new Map<string, Set<string>>();

  async loadSenderKey(name: SenderKeyName): Promise<SenderKeyRecord> {
    return this.records.get(name.toString()) ?? new SenderKeyRecord();
  }

  async storeSenderKey(name: SenderKeyName, record: SenderKeyRecord): Promise<void> {
    this.records.set(name.toString(), record);
  }

  /** Forgets this device's own key for a group: the next message starts a new one (rotation). */
  rotate(name: SenderKeyName, groupJid: string): void {
    this.records.delete(name.toString());
    this.distributed.delete(groupJid);
  }
}

const stores = new WeakMap<SignalDevice, SenderKeyStore>();
const storeOf = (device: SignalDevice): SenderKeyStore => {
  let store = stores.get(device);
  if (!store) stores.set(device, (store = new SenderKeyStore()));
  return store;
};

const address = (id: string) => ({ id, deviceId: 0, toString: () => `${id}.0` });
/** A contact's own sender key in a group. */
const ownKey = (groupJid: string, contact: SimContact) => new SenderKeyName(groupJid, address(contact.lid));
/** The client's sender key in a group, as a receiving device files it. */
const clientKey = (groupJid: string, companion: Companion) => new SenderKeyName(groupJid, address(companion.peer));
const nowSeconds = (): string => String(Math.floor(Date.now() / 1000));

/**
 * A message from a member to the group, as the client receives it: the member's
 * sender key distribution message first, Signal-encrypted to this client device
 * (only the first time it meets that key), then the content as `skmsg`.
 */
export function memberGroupMessage(group: SimGroup, contact: SimContact, message: proto.IMessage, id: string): StanzaBuilder {
  return async (companion: Companion) => {
    const store = storeOf(contact.device);
    const name = ownKey(group.jid, contact);
    const skdm = await new GroupSessionBuilder(store).create(name);
    const content: BinaryNode[] = [];
    const sentTo = store.distributed.get(group.jid) ?? new Set<string>();
    store.distributed.set(group.jid, sentTo);
    if (!sentTo.has(companion.peer)) {
      const distribution: proto.IMessage = {
        senderKeyDistributionMessage: { groupId: group.jid, axolotlSenderKeyDistributionMessage: skdm.serialize() }
      };
      const { type, ciphertext } = await contact.device.encrypt(companion.peer, companion.bundle, encodeWAMessage(distribution));
      content.push({ tag: 'enc', attrs: { v: '2', type }, content: ciphertext });
      sentTo.add(companion.peer);
    }
    const ciphertext = await new GroupCipher(store, name).encrypt(encodeWAMessage(message));
    content.push({ tag: 'enc', attrs: { v: '2', type: 'skmsg' }, content: ciphertext });
    return {
      tag: 'message',
      attrs: {
        from: group.jid,
        participant: contact.lidJid,
        participant_pn: contact.pnJid,
        addressing_mode: 'lid',
        id,
        type: 'text',
        t: nowSeconds(),
        notify: contact.pushName
      },
      content
    };
  };
}

/** A member left or was removed: every remaining member starts a new sender key, which the removed one never gets. */
export function rotateSenderKeys(account: SimAccount, group: SimGroup): void {
  for (const phone of group.members.keys()) {
    const contact = phone === account.phone ? undefined : account.contact(phone);
    if (contact) storeOf(contact.device).rotate(ownKey(group.jid, contact), group.jid);
  }
}

/** Whether this device could decrypt a sender-key message, tried on a copy of its key so nothing it holds moves on. */
async function canRead(device: SignalDevice, name: SenderKeyName, skmsg: Uint8Array): Promise<boolean> {
  const record = await storeOf(device).loadSenderKey(name);
  if (record.isEmpty()) return false;
  const copy = new SenderKeyRecord(JSON.parse(JSON.stringify(record.serialize(), BufferJSON.replacer), BufferJSON.reviver));
  const scratch = { loadSenderKey: async () => copy, storeSenderKey: async () => undefined };
  try {
    await new GroupCipher(scratch, name).decrypt(skmsg);
    return true;
  } catch {
    return false;
  }
}

const textOf = (message: proto.IMessage): string | null => message.conversation ?? message.extendedTextMessage?.text ?? null;

/**
 * A group message the client sent: each `<to>` copy (the client's sender key, for
 * devices that do not have it yet) is decrypted by the device it names, then every
 * current member decrypts the `skmsg` with the key it holds. Members without the
 * key do not read it, which is what the outbox entry's `participants` shows.
 */
export async function receiveGroupFromClient(
  account: SimAccount,
  companion: Companion,
  group: SimGroup,
  stanza: BinaryNode
): Promise<OutboxEntry | undefined> {
  for (const to of getBinaryNodeChildren(getBinaryNodeChild(stanza, 'participants'), 'to')) {
    const enc = getBinaryNodeChild(to, 'enc');
    const party = account.party(to.attrs.jid ?? '');
    if (!party || !enc || !(enc.content instanceof Uint8Array)) continue;
    const device = account.deviceOf(party);
    const plain = await device.decrypt(companion.peer, enc.attrs.type ?? 'msg', enc.content);
    const skdm = proto.Message.decode(unpadRandomMax16(plain)).senderKeyDistributionMessage?.axolotlSenderKeyDistributionMessage;
    if (skdm) {
      await new GroupSessionBuilder(storeOf(device)).process(
        clientKey(group.jid, companion),
        new SenderKeyDistributionMessage(null, null, null, null, skdm)
      );
    }
  }
  const skmsg = getBinaryNodeChildren(stanza, 'enc').find(e => e.attrs.type === 'skmsg');
  if (!(skmsg?.content instanceof Uint8Array)) return undefined;
  const readers: Phone[] = [];
  let message: proto.Message | undefined;
  const id = stanza.attrs.id ?? '';
  let repeat = false;
  for (const phone of group.members.keys()) {
    const contact = phone === account.phone ? undefined : account.contact(phone);
    if (!contact) continue;
    try {
      const plain = await new GroupCipher(storeOf(contact.device), clientKey(group.jid, companion)).decrypt(skmsg.content);
      message = proto.Message.decode(unpadRandomMax16(plain));
    } catch {
      continue; // this member holds no key for it: it cannot read the message
    }
    readers.push(phone);
    repeat ||= contact.surfaced.has(id);
    contact.surfaced.add(id);
  }
  if (!message) return undefined;
  // Copies of the ciphertext, tried with what former members kept; their state is left untouched.
  const readableByFormer: Phone[] = [];
  for (const phone of group.former) {
    const contact = phone === account.phone ? undefined : account.contact(phone);
    if (contact && (await canRead(contact.device, clientKey(group.jid, companion), skmsg.content))) readableByFormer.push(phone);
  }
  return {
    id,
    to: group.jid,
    group: group.jid,
    participants: readers,
    readableByFormer,
    text: textOf(message),
    message: proto.Message.toObject(message, { longs: Number, bytes: String, defaults: false }) as Record<string, unknown>,
    timestamp: Date.now(),
    repeat
  };
}
