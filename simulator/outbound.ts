import { getBinaryNodeChild, getBinaryNodeChildren, isJidGroup, jidDecode, proto, unpadRandomMax16, type BinaryNode } from '@whiskeysockets/baileys';
import type { SimAccount } from './account.js';
import { contactCardsOf } from './contact-cards.js';
import { receiveGroupFromClient } from './group-messages.js';
import { contactReceipt } from './inbound-stanzas.js';
import { receiveMedia } from './media-messages.js';
import type { MediaServer } from './media-server.js';
import type { Companion, SimContact } from './model.js';

const textOf = (message: proto.IMessage): string | null =>
  message.conversation ?? message.extendedTextMessage?.text ?? message.editedMessage?.message?.protocolMessage?.editedMessage?.conversation ?? null;

/** The error code WhatsApp acks a message to `to` with when the contact is declared `{refuse}`: the message goes nowhere. */
function refusalFor(account: SimAccount, to: string): number | undefined {
  const party = account.party(to);
  return party?.kind === 'contact' ? party.contact.refuse : undefined;
}

/** A contact declared `{noAck}`: its messages arrive, but their server ack is lost on the way back. */
function ackLost(account: SimAccount, to: string): boolean {
  const party = account.party(to);
  return party?.kind === 'contact' && party.contact.noAck;
}

/**
 * Decrypts a message stanza the client sent: each `<to>` copy by the device it
 * names (a contact, or the own phone's `deviceSentMessage`), records what each
 * contact received in the outbox, acks it, and answers with the contact's receipts.
 */
export async function receiveFromClient(
  account: SimAccount,
  companion: Companion,
  stanza: BinaryNode,
  send: (n: BinaryNode) => void,
  media: MediaServer
): Promise<void> {
  const id = stanza.attrs.id ?? '';
  const to = stanza.attrs.to ?? '';
  if (isJidGroup(to)) return receiveGroupSend(account, companion, stanza, send);
  const copies: { jid: string; enc: BinaryNode }[] = [];
  for (const participant of getBinaryNodeChildren(getBinaryNodeChild(stanza, 'participants'), 'to')) {
    const enc = getBinaryNodeChild(participant, 'enc');
    if (enc) copies.push({ jid: participant.attrs.jid ?? '', enc });
  }
  const direct = getBinaryNodeChild(stanza, 'enc');
  if (direct) copies.push({ jid: to, enc: direct });

  const reached: SimContact[] = [];
  const refusal = refusalFor(account, to);
  for (const { jid, enc } of copies) {
    const party = account.party(jid);
    if (!party || !(enc.content instanceof Uint8Array)) continue;
    const plain = await account.deviceOf(party).decrypt(companion.peer, enc.attrs.type ?? 'msg', enc.content);
    const message = proto.Message.decode(unpadRandomMax16(plain));
    if (party.kind === 'phone') continue; // the own phone's copy: keeps its session in step, nothing to record
    const contact = party.contact;
    if (!contact.onWhatsApp || refusal !== undefined) continue;
    const repeat = contact.surfaced.has(id);
    contact.surfaced.add(id);
    const cards = contactCardsOf(message);
    // A repeat is not downloaded again: the contact already has the file.
    const got = repeat ? undefined : await receiveMedia(media, message).then(
      m => (m ? { media: m } : {}),
      (err: Error) => ({ mediaError: err.message })
    );
    account.outbox.push({
      id,
      to,
      text: textOf(message),
      message: proto.Message.toObject(message, { longs: Number, bytes: String, defaults: false }) as Record<string, unknown>,
      timestamp: Date.now(),
      repeat,
      ...(cards ? { contacts: cards } : {}),
      ...got
    });
    reached.push(contact);
  }

  if (!ackLost(account, to)) send({ tag: 'ack', attrs: { class: 'message', id, from: to, t: String(Math.floor(Date.now() / 1000)), ...(refusal !== undefined ? { error: String(refusal) } : {}) } });
  if (refusal !== undefined) return;

  for (const contact of new Set(reached)) {
    if (contact.receipts === 'none') continue;
    const delay = account.receiptDelayMs;
    setTimeout(() => {
      void account.deliver(contactReceipt(to, [id]));
      if (contact.receipts === 'auto') setTimeout(() => void account.deliver(contactReceipt(to, [id], 'read')), delay);
    }, delay);
  }
}

/**
 * A group send: routed only to current members, each decrypting with the sender
 * key it holds. A group the account is not in is refused as WhatsApp does (403 on the ack).
 */
async function receiveGroupSend(account: SimAccount, companion: Companion, stanza: BinaryNode, send: (n: BinaryNode) => void): Promise<void> {
  const id = stanza.attrs.id ?? '';
  const to = stanza.attrs.to ?? '';
  const group = account.groups.get(jidDecode(to)?.user ?? '');
  const ack = (error?: number) =>
    send({ tag: 'ack', attrs: { class: 'message', id, from: to, t: String(Math.floor(Date.now() / 1000)), ...(error ? { error: String(error) } : {}) } });
  if (!group?.members.has(account.phone)) return ack(403);
  // Only admins write in an announcement group.
  if (group.announce && !group.isAdmin(account.phone)) return ack(403);
  const entry = await receiveGroupFromClient(account, companion, group, stanza);
  if (entry) account.outbox.push(entry);
  ack();
}
