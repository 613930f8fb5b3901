import { createHash, randomBytes } from 'node:crypto';
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { ContactCard } from './contact-cards.js';
import type { OutboxMedia } from './media-messages.js';
import { SignalDevice, type ClientBundle } from './signal-device.js';

/** A phone number as digits only, e.g. "5531900000001". */
export type Phone = string;
export type Presence = 'available' | 'unavailable' | 'composing' | 'recording' | 'paused';
/** How a contact's phone answers the account's messages: delivered then read, delivered only, or silence. */
export type ReceiptMode = 'auto' | 'delivery' | 'none';
/** PN: stanzas come from the phone-number JID with `sender_lid`; LID: from the `@lid` JID with `sender_pn`. */
export type Addressing = 'pn' | 'lid';

export interface ContactSpec {
  phone: Phone;
  pushName?: string;
  /** The contact's LID user (digits, without `@lid`); derived from the phone when absent. */
  lid?: string;
  /** false: the number is not on WhatsApp (onWhatsApp says no, nothing reaches it). */
  onWhatsApp?: boolean;
  addressing?: Addressing;
  /** false: the contact has no profile picture (404). */
  picture?: boolean;
  /**
   * The JID WhatsApp knows this number under, when it is not the one its digits
   * spell (Brazil's 9th digit: `phone` 5531 9XXXX-XXXX, `jid` 5531XXXXXXXX@s.whatsapp.net).
   * The number check answers this JID; the contact lives under it.
   */
  jid?: string;
  /** WhatsApp refuses every message to this contact: its ack carries `error="<refuse>"` (e.g. 479, 463). */
  refuse?: number;
  /** The server's ack of a message to this contact is lost: the contact gets the message, the client never hears back. */
  noAck?: boolean;
}

export interface HistoryChatSpec {
  phone: Phone;
  name?: string;
  unreadCount?: number;
  /** Seconds. */
  timestamp?: number;
}

export interface HistoryMessageSpec {
  /** The contact's phone the message belongs to. */
  chat: Phone;
  text: string;
  fromMe?: boolean;
  id?: string;
  /** Seconds. */
  timestamp?: number;
}

export interface HistorySpec {
  /** Chats sent in the initial history sync; by default one per contact on WhatsApp. */
  chats?: HistoryChatSpec[];
  messages?: HistoryMessageSpec[];
  /**
   * Older messages the phone sends only to a client that asked for the full history at
   * pairing (Baileys' `syncFullHistory`): FULL chunks after the initial one, each with its progress.
   */
  older?: HistoryMessageSpec[];
  /** Messages per FULL chunk (default 50). */
  fullChunkSize?: number;
  /** Messages per INITIAL_BOOTSTRAP chunk of the first sync (default 2,000). */
  initialChunkSize?: number;
}

export interface AccountSpec {
  phone: Phone;
  pushName?: string;
  contacts?: ContactSpec[];
  history?: HistorySpec;
}

/** One message stanza the client sent to a contact, as that contact decrypted it. */
export interface OutboxEntry {
  id: string;
  to: string;
  text: string | null;
  message: Record<string, unknown>;
  /** Milliseconds. */
  timestamp: number;
  /** That message ID had reached that contact before; the contact surfaced it only once. */
  repeat: boolean;
  /** For a contact card: what the receiving phone shows, decoded from the message and its vCard. */
  contacts?: ContactCard[];
  /** A group send: the group's JID (also in `to`). */
  group?: string;
  /** A group send: the members whose phones decrypted it. */
  participants?: Phone[];
  /** For a media message: what the contact downloaded and decrypted. */
  media?: OutboxMedia;
  /** The contact could not download or decrypt the media (the reason). */
  mediaError?: string;
  /**
   * A group send: former members who could decrypt it with the sender key they kept,
   * had it reached them (WhatsApp routes it only to members). Empty once the sender
   * started a new key after they left, which is what keeps them out.
   */
  readableByFormer?: Phone[];
}

/** A receipt the client sent (e.g. a read receipt after markRead). */
export interface ClientReceipt {
  to: string;
  type: string;
  ids: string[];
  timestamp: number;
}

/** A call a contact offered the account, and what the client answered. */
export interface SimCall {
  id: string;
  /** The caller's phone. */
  from: Phone;
  isVideo: boolean;
  /** The group JID of a group call; null for a call to the account alone. */
  group: string | null;
  /** Milliseconds. */
  offeredAt: number;
  /** When the client rejected it (milliseconds); null while it rings unanswered. */
  rejectedAt: number | null;
}

/** A presence or chat state the client sent. */
export interface ClientPresence {
  to: string | null;
  state: string;
  timestamp: number;
}

/** The linked device (the WhatsApp Web client) of an account. */
export interface Companion {
  deviceId: number;
  noiseKey: Buffer;
  bundle: ClientBundle;
  /** libsignal address the simulated devices use for this client. */
  peer: string;
  historySent: boolean;
  /** The client asked for the full history when it registered (`DeviceProps.requireFullSync`). */
  fullSync: boolean;
}

/** Builds a stanza when it is delivered, so encryption happens against the live client's keys. */
export type StanzaBuilder = (companion: Companion) => Promise<BinaryNode>;

/** Something the account can deliver to: the logged-in connection. */
export interface ClientLink {
  readonly companion: Companion;
  send(node: BinaryNode): void;
  /** Sends stanzas in order, building each only after the previous one went out. */
  sendBuilt(build: StanzaBuilder, attrs?: Record<string, string>): Promise<void>;
  close(reason?: BinaryNode): void;
  drop(): void;
}

/** A deterministic 15-digit LID user for a phone, so runs are reproducible. */
export const deriveLid = (phone: Phone): string => {
  const digest = createHash('sha256').update(`lid:${phone}`).digest();
  return '1' + (digest.readBigUInt64BE(0) % 10n ** 14n).toString().padStart(14, '0');
};

/** A WhatsApp-style message ID: 32 upper-case hex characters starting 3EB0. */
export const newMessageId = (): string => ('3EB0' + randomBytes(14).toString('hex')).toUpperCase();

export const isPhone = (value: string): boolean => /^\d{6,15}$/.test(value);

export class SimContact {
  readonly phone: Phone;
  readonly lid: string;
  pushName: string;
  readonly onWhatsApp: boolean;
  readonly addressing: Addressing;
  picture: boolean;
  /** Bumped on every picture change, so each picture has its own URL. */
  pictureId = 1;
  /** The error code WhatsApp acks messages to this contact with, instead of taking them. */
  readonly refuse?: number;
  readonly noAck: boolean;
  readonly device = new SignalDevice();
  receipts: ReceiptMode = 'auto';
  presence: { state: Presence; lastSeen: number } = { state: 'unavailable', lastSeen: Math.floor(Date.now() / 1000) };
  /** Message IDs this contact has shown to its user; a repeat is not shown again. */
  readonly surfaced = new Set<string>();

  constructor(spec: ContactSpec) {
    this.phone = spec.phone;
    this.lid = spec.lid ?? deriveLid(spec.phone);
    this.pushName = spec.pushName ?? `Contact ${spec.phone.slice(-4)}`;
    this.onWhatsApp = spec.onWhatsApp ?? true;
    this.addressing = spec.addressing ?? 'pn';
    this.picture = spec.picture ?? true;
    this.refuse = spec.refuse;
    this.noAck = spec.noAck ?? false;
  }

  get pnJid(): string {
    return `${this.phone}@s.whatsapp.net`;
  }

  get lidJid(): string {
    return `${this.lid}@lid`;
  }

  /** The JID its stanzas come from, per its addressing mode. */
  get fromJid(): string {
    return this.addressing === 'lid' ? this.lidJid : this.pnJid;
  }
}
