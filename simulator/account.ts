import { jidDecode, type BinaryNode } from '@whiskeysockets/baileys';
import { AppState } from './app-state.js';
import type { SimGroup } from './groups.js';
import { SignalDevice } from './signal-device.js';
import {
  deriveLid,
  SimContact,
  type AccountSpec,
  type ClientLink,
  type ClientPresence,
  type ClientReceipt,
  type Companion,
  type ContactSpec,
  type HistorySpec,
  type SimCall,
  type OutboxEntry,
  type Phone,
  type StanzaBuilder
} from './model.js';

/** Who a JID names from an account's point of view. */
export type Party = { kind: 'phone' } | { kind: 'contact'; contact: SimContact };

/**
 * One simulated WhatsApp account: its own phone (device 0), its contacts, the
 * linked client device, and what is waiting for that client while it is away.
 */
export class SimAccount {
  readonly phone: Phone;
  readonly lid: string;
  readonly pushName: string;
  /** The account's own phone; it signs the pairing and sends the history sync. */
  readonly phoneDevice = new SignalDevice();
  readonly history: HistorySpec;
  /** Archive, mute, pin, contacts and the like, as WhatsApp's server holds them for every device. */
  readonly appState = new AppState();
  companion?: Companion;
  link?: ClientLink;
  /** While true, inbound stanzas wait for the next login instead of going out live. */
  offline = false;
  /** Until this time (ms since the epoch) every login of the account is dropped, as on a network that is down. */
  unreachableUntil = 0;
  /**
   * While true, the client's delivery receipts are lost on the way, as on a link that
   * breaks right after the client sent them: the messages stay unreceipted, and go to
   * the next login again.
   */
  losesReceipts = false;
  readonly outbox: OutboxEntry[] = [];
  /** Groups the account is or was in, by the user part of their JID. */
  readonly groups = new Map<string, SimGroup>();
  readonly clientReceipts: ClientReceipt[] = [];
  readonly clientPresence: ClientPresence[] = [];
  /** Calls offered to the account, newest last, with the client's answer. */
  readonly calls: SimCall[] = [];
  private readonly contacts = new Map<Phone, SimContact>();
  private readonly contactsByLid = new Map<string, SimContact>();
  /** Numbers as typed → the phone of the JID WhatsApp knows them under. */
  private readonly aliases = new Map<Phone, Phone>();
  private readonly pending: StanzaBuilder[] = [];
  private readonly receiptListeners = new Set<(receipt: ClientReceipt) => void>();
  private nextDeviceId = 2;

  /**
   * @param receiptDelayMs spacing of a contact's automatic receipts. Baileys holds its own
   *   sent message in an event buffer for 100 ms; a receipt inside that window is merged
   *   into the message instead of surfacing as its own status update, as on a real network
   *   it never is.
   */
  constructor(
    spec: AccountSpec,
    private readonly autoContacts: boolean,
    readonly receiptDelayMs: number
  ) {
    this.phone = spec.phone;
    this.lid = deriveLid(spec.phone);
    this.pushName = spec.pushName ?? `Account ${spec.phone.slice(-4)}`;
    this.history = spec.history ?? {};
    for (const contact of spec.contacts ?? []) this.addContact(contact);
  }

  get pnJid(): string {
    return `${this.phone}@s.whatsapp.net`;
  }

  get lidJid(): string {
    return `${this.lid}@lid`;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  addContact(spec: ContactSpec): SimContact {
    // A number known under another JID lives under that JID; the typed number is only an alias the number check resolves.
    const canonical = spec.jid ? jidDecode(spec.jid)?.user : undefined;
    const contact = new SimContact(canonical ? { ...spec, phone: canonical } : spec);
    if (canonical && canonical !== spec.phone) this.aliases.set(spec.phone, canonical);
    this.contacts.set(contact.phone, contact);
    this.contactsByLid.set(contact.lid, contact);
    return contact;
  }

  /** The phone a number check for `phone` finds: the canonical one when WhatsApp knows it under another JID. */
  canonicalPhone(phone: Phone): Phone {
    return this.aliases.get(phone) ?? phone;
  }

  listContacts(): SimContact[] {
    return [...this.contacts.values()];
  }

  /**
   * A contact by phone; unknown numbers become contacts on WhatsApp when auto-contacts is on.
   * An alias is nobody: as on WhatsApp, only the canonical JID reaches the contact.
   */
  contact(phone: Phone): SimContact | undefined {
    if (this.aliases.has(phone)) return undefined;
    return this.contacts.get(phone) ?? (this.autoContacts ? this.addContact({ phone }) : undefined);
  }

  /** Resolves a PN or LID JID (any device) to the own phone or a contact. */
  party(jid: string): Party | undefined {
    const decoded = jidDecode(jid);
    if (!decoded) return undefined;
    if (decoded.server === 'lid') {
      if (decoded.user === this.lid) return { kind: 'phone' };
      const contact = this.contactsByLid.get(decoded.user);
      return contact && { kind: 'contact', contact };
    }
    if (decoded.server !== 's.whatsapp.net') return undefined;
    if (decoded.user === this.phone) return { kind: 'phone' };
    const contact = this.contact(decoded.user);
    return contact && { kind: 'contact', contact };
  }

  deviceOf(party: Party): SignalDevice {
    return party.kind === 'phone' ? this.phoneDevice : party.contact.device;
  }

  newDeviceId(): number {
    return this.nextDeviceId++;
  }

  /** Sends live when the client is logged in and the account is online, else keeps it for the next login. */
  deliver(build: StanzaBuilder): Promise<void> {
    if (this.link && !this.offline) return this.link.sendBuilt(build);
    this.pending.push(build);
    return Promise.resolve();
  }

  /** Stanzas a connection could not finish delivering: `head` for ones it sent first (they are older), `tail` for the rest. */
  requeue(builds: StanzaBuilder[], where: 'head' | 'tail'): void {
    if (where === 'head') this.pending.unshift(...builds);
    else this.pending.push(...builds);
  }

  /** Records a receipt the client sent and tells whoever listens, at once. */
  recordReceipt(receipt: ClientReceipt): void {
    this.clientReceipts.push(receipt);
    for (const listener of this.receiptListeners) listener(receipt);
  }

  onReceipt(listener: (receipt: ClientReceipt) => void): () => void {
    this.receiptListeners.add(listener);
    return () => this.receiptListeners.delete(listener);
  }

  /** Hands over everything kept while the client was away, marked offline, in order. */
  async flushPending(link: ClientLink): Promise<number> {
    const batch = this.pending.splice(0);
    for (const build of batch) await link.sendBuilt(build, { offline: '1' });
    return batch.length;
  }

  /** Forgets the linked device (logout or unlink): its sessions and anything queued for it. */
  unlink(): void {
    const companion = this.companion;
    if (!companion) return;
    this.phoneDevice.forget(companion.peer);
    for (const contact of this.contacts.values()) contact.device.forget(companion.peer);
    this.companion = undefined;
    this.pending.length = 0;
  }

  /** Sends a stanza that needs no encryption (presence, chat state) only if the client is there now. */
  sendIfOnline(node: BinaryNode): boolean {
    if (!this.link || this.offline) return false;
    this.link.send(node);
    return true;
  }
}
