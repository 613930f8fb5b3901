import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Curve, proto, type KeyPair } from '@whiskeysockets/baileys';
import { BAILEYS_VERSION } from './baileys-version.js';
import pino, { type Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { SimAccount } from './account.js';
import { serverSyncNotification } from './app-state.js';
import { toModification, type PhoneAction } from './phone-actions.js';
import { ClientConnection, LOGGED_OUT } from './client-connection.js';
import { editMessage, phoneSentMessage, pictureNotification } from './contact-actions.js';
import { callOffer, contactMessage, contactReceipt, presenceNode } from './inbound-stanzas.js';
import { memberGroupMessage, rotateSenderKeys } from './group-messages.js';
import {
  changeParticipants,
  GroupRefusal,
  groupNode,
  groupNotification,
  groupView,
  participantsChild,
  SimGroup,
  type ParticipantAction
} from './groups.js';
import { contactMediaMessage, SIM_MEDIA_TYPES, type SimMediaSpec } from './media-messages.js';
import { MediaServer, type UploadRecord } from './media-server.js';
import {
  isPhone,
  newMessageId,
  type AccountSpec,
  type ClientPresence,
  type ClientReceipt,
  type OutboxEntry,
  type Phone,
  type Presence,
  type ReceiptMode,
  type SimCall,
  type SimContact
} from './model.js';
import { SIM_ROOT_PUBLIC_KEY_HEX } from './root-key.js';

export interface SimulatorOptions {
  /** WebSocket port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  host?: string;
  /** QR refs per pairing attempt; Baileys shows one per rotation and ends with 408 after the last. */
  qrRefs?: number;
  /** Numbers nobody declared become contacts on WhatsApp when messaged or checked (default true). */
  autoContacts?: boolean;
  /** Delay before a contact's automatic delivery receipt, and again before its read receipt (default 200). */
  receiptDelayMs?: number;
  /** Base URL for profile pictures (the control API serves them); set by the control server. */
  pictureBaseUrl?: string;
  /**
   * The oldest WhatsApp Web version let in (`[2, 3000, revision]`): an older client is
   * refused with `<failure reason="405">`, as WhatsApp does once a version is retired.
   * None by default.
   */
  minVersion?: WaVersion;
  /** The version the version document (`versionUrl`) announces; `minVersion`, else Baileys' own, by default. */
  latestVersion?: WaVersion;
  logger?: Logger;
}

export type KickReason = 'logout' | 'replaced' | 'restart' | 'drop';

/** A WhatsApp Web version as Baileys writes it: `[major, minor, revision]`. */
export type WaVersion = [number, number, number];

/** Orders two versions: negative when `a` is older. */
export const compareVersions = (a: readonly number[], b: readonly number[]): number => {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
};

/** A refused simulator operation, with the HTTP status the control API answers. */
export class SimulatorError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
  }
}

const notFound = (what: string): SimulatorError => new SimulatorError(404, what);

/**
 * A loopback WhatsApp server: real Baileys clients connect to `url`, pair by QR
 * with a simulated phone, log in and exchange Signal-encrypted messages with the
 * account's simulated contacts. Every operation here is also on the control API.
 */
export class WhatsAppSimulator {
  readonly logger: Logger;
  readonly qrRefs: number;
  readonly rootPublicKeyHex = SIM_ROOT_PUBLIC_KEY_HEX;
  pictureBaseUrl: string;
  private readonly accounts = new Map<Phone, SimAccount>();
  private readonly refs = new Map<string, ClientConnection>();
  /** Clients waiting to be paired by code, by the phone number they named. */
  private readonly codePairings = new Map<Phone, ClientConnection>();
  private readonly serverStatic: KeyPair = Curve.generateKeyPair();
  private readonly autoContacts: boolean;
  private wss?: WebSocketServer;
  private http?: Server;
  /** Versions older than this are refused with 405; undefined lets every version in. */
  minVersion?: WaVersion;
  latestVersion?: WaVersion;
  /** How often the version document was fetched (the hub looks it up at boot and after a 405). */
  versionFetches = 0;
  private readonly connections = new Set<ClientConnection>();
  /** WhatsApp's media hosts: HTTPS uploads and downloads with the test CA's certificate. */
  readonly media: MediaServer;

  constructor(private readonly options: SimulatorOptions = {}) {
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.qrRefs = options.qrRefs ?? 6;
    this.autoContacts = options.autoContacts ?? true;
    this.pictureBaseUrl = options.pictureBaseUrl ?? 'http://127.0.0.1/pictures';
    this.media = new MediaServer(options.host ?? '127.0.0.1');
    this.minVersion = options.minVersion;
    this.latestVersion = options.latestVersion;
  }

  /**
   * Where the current version is published, in the form of WhatsApp Web's `sw.js`
   * (`"client_revision":N`), which is what Baileys' version lookup reads.
   */
  get versionUrl(): string {
    const address = this.http?.address() as AddressInfo | undefined;
    if (!address) throw new Error('simulator not started');
    return `http://${this.options.host ?? '127.0.0.1'}:${address.port}/sw.js`;
  }

  /** The version the document announces now. */
  get announcedVersion(): WaVersion {
    return this.latestVersion ?? this.minVersion ?? ([...BAILEYS_VERSION] as WaVersion);
  }

  /** WhatsApp retires old versions: from now on clients older than `min` are refused (405), and the document announces `latest`. */
  setVersions(min: WaVersion | undefined, latest?: WaVersion): void {
    this.minVersion = min;
    this.latestVersion = latest;
  }

  /** A client version the simulator lets in. */
  accepts(version: readonly number[]): boolean {
    return !this.minVersion || compareVersions(version, this.minVersion) >= 0;
  }

  /** The WhatsApp WebSocket URL a client is given (Baileys' `waWebSocketUrl`). */
  get url(): string {
    const address = this.http?.address() as AddressInfo | undefined;
    if (!address) throw new Error('simulator not started');
    return `ws://${this.options.host ?? '127.0.0.1'}:${address.port}/ws/chat`;
  }

  async start(): Promise<this> {
    // One port for the WebSocket and the version document, as web.whatsapp.com serves both.
    const http = createServer((req, res) => {
      if (req.method === 'GET' && req.url?.split('?')[0] === '/sw.js') {
        this.versionFetches++;
        const [, , revision] = this.announcedVersion;
        res.writeHead(200, { 'content-type': 'application/javascript' });
        res.end(`self.__swData=JSON.parse(/*BTDS*/"{\\"dynamic_data\\":{\\"SiteData\\":{\\"client_revision\\":${revision},\\"server_revision\\":${revision}}}}");`);
        return;
      }
      res.writeHead(404).end();
    });
    const wss = new WebSocketServer({ server: http });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    this.http = http;
    wss.on('connection', ws => {
      const conn = new ClientConnection(ws, this, this.serverStatic);
      this.connections.add(conn);
      ws.on('close', () => this.connections.delete(conn));
    });
    this.wss = wss;
    await this.media.start();
    this.logger.info({ url: this.url }, 'simulator listening');
    return this;
  }

  async stop(): Promise<void> {
    for (const conn of this.connections) conn.drop();
    const wss = this.wss;
    this.wss = undefined;
    if (wss) await new Promise<void>(resolve => wss.close(() => resolve()));
    await this.media.stop();
    const http = this.http;
    // Keep-alive connections from version lookups would hold the port open for seconds.
    http?.closeAllConnections();
    if (http) await new Promise<void>(resolve => http.close(() => resolve()));
  }

  // --- ConnectionHost ---
  accountByPhone(phone: string): SimAccount | undefined {
    return this.accounts.get(phone);
  }

  registerRefs(refs: string[], conn: ClientConnection): void {
    for (const ref of refs) this.refs.set(ref, conn);
  }

  releaseRefs(conn: ClientConnection): void {
    for (const ref of conn.refs) this.refs.delete(ref);
    for (const [phone, c] of this.codePairings) if (c === conn) this.codePairings.delete(phone);
  }

  registerCodePairing(phone: string, conn: ClientConnection): void {
    this.codePairings.set(phone, conn);
  }

  pictureUrl(phone: string): string {
    return `${this.pictureBaseUrl}/${phone}.png`;
  }

  // --- accounts ---
  createAccount(spec: AccountSpec): SimAccount {
    if (!isPhone(spec.phone)) throw new SimulatorError(400, `phone must be 6 to 15 digits: ${spec.phone}`);
    if (this.accounts.has(spec.phone)) throw new SimulatorError(409, `account ${spec.phone} exists`);
    for (const c of spec.contacts ?? []) {
      if (!isPhone(c.phone)) throw new SimulatorError(400, `contact phone must be 6 to 15 digits: ${c.phone}`);
      if (c.lid !== undefined && !/^\d{6,20}$/.test(c.lid)) throw new SimulatorError(400, `contact lid must be digits: ${c.lid}`);
    }
    const account = new SimAccount(spec, this.autoContacts, this.options.receiptDelayMs ?? 200);
    this.accounts.set(spec.phone, account);
    return account;
  }

  account(phone: Phone): SimAccount {
    const account = this.accounts.get(phone);
    if (!account) throw notFound(`no account ${phone}`);
    return account;
  }

  listAccounts(): SimAccount[] {
    return [...this.accounts.values()];
  }

  /** The account's phone scans a QR string a client showed; resolves once the client signed the pairing. */
  async scan(phone: Phone, qr: string): Promise<{ deviceId: number }> {
    const account = this.account(phone);
    const [ref, noiseKeyB64, , advSecretB64] = (qr.split('#')[1] ?? qr).split(',');
    const conn = ref ? this.refs.get(ref) : undefined;
    if (!conn || !advSecretB64 || !noiseKeyB64) throw new SimulatorError(400, 'QR code not recognised or expired');
    // The QR carries the client's Noise key: it must be the connection that showed it.
    if (!conn.noiseKey?.equals(Buffer.from(noiseKeyB64, 'base64'))) throw new SimulatorError(400, 'QR code does not match its connection');
    await conn.pair(account, Buffer.from(advSecretB64, 'base64'));
    return { deviceId: account.companion?.deviceId ?? 0 };
  }

  /** The account's phone user types the 8-character code a client showed; resolves once paired. */
  async enterPairingCode(phone: Phone, code: string): Promise<{ deviceId: number }> {
    const account = this.account(phone);
    // The client's request may still be on its way (Baileys does not wait for it): give it a moment.
    for (let i = 0; i < 50 && !this.codePairings.has(phone); i++) await new Promise(r => setTimeout(r, 100));
    const conn = this.codePairings.get(phone);
    if (!conn) throw new SimulatorError(404, `no client is waiting to pair with ${phone} by code`);
    if (!/^[0-9A-Z]{8}$/.test(code)) throw new SimulatorError(400, 'a pairing code is 8 letters and digits');
    await conn.enterPairingCode(account, code).catch(err => {
      throw new SimulatorError(400, (err as Error).message);
    });
    this.codePairings.delete(phone);
    return { deviceId: account.companion?.deviceId ?? 0 };
  }

  private contactOf(account: SimAccount, from: Phone): SimContact {
    if (!isPhone(from)) throw new SimulatorError(400, `from must be a phone number: ${from}`);
    const contact = account.contact(from);
    if (!contact) throw notFound(`no contact ${from} on account ${account.phone}`);
    if (!contact.onWhatsApp) throw new SimulatorError(409, `contact ${from} is not on WhatsApp`);
    return contact;
  }

  /** Contact `from` sends a text to the account; it goes out live or waits for the next login. */
  async sendText(phone: Phone, from: Phone, text: string, opts: { id?: string; plaintext?: boolean } = {}): Promise<{ messageId: string }> {
    const account = this.account(phone);
    const id = opts.id ?? newMessageId();
    await account.deliver(contactMessage(this.contactOf(account, from), { conversation: text }, id, { plaintext: opts.plaintext }));
    return { messageId: id };
  }

  /** Contact `from` uploads a file and sends it (image, video, audio or voice note, document, sticker). */
  async sendMedia(phone: Phone, from: Phone, spec: SimMediaSpec): Promise<{ messageId: string }> {
    const account = this.account(phone);
    const contact = this.contactOf(account, from);
    if (!SIM_MEDIA_TYPES.includes(spec.type)) throw new SimulatorError(400, `media type must be one of ${SIM_MEDIA_TYPES.join(', ')}`);
    if (!spec.base64) throw new SimulatorError(400, 'media base64 is empty');
    const id = newMessageId();
    const message = await contactMediaMessage(this.media, spec);
    const content = Object.values(message)[0] as { directPath: string; mediaKey: Uint8Array };
    this.media.rememberMessage(id, content.directPath, content.mediaKey);
    await account.deliver(contactMessage(contact, message, id));
    return { messageId: id };
  }

  /** The media URL of a contact's message expires on the CDN (404); the phone can still upload it again. */
  expireMedia(phone: Phone, messageId: string): { expired: boolean } {
    this.account(phone);
    if (!this.media.expireMessage(messageId)) throw notFound(`no media message ${messageId}`);
    return { expired: true };
  }

  /** Uploads the account's client made to the media host, in order. */
  uploads(phone: Phone): UploadRecord[] {
    this.account(phone);
    return this.media.uploadsOf(phone);
  }

  /** Contact `from` posts a text status (status@broadcast). */
  async postStatus(phone: Phone, from: Phone, text: string): Promise<{ messageId: string }> {
    const account = this.account(phone);
    const id = newMessageId();
    await account.deliver(contactMessage(this.contactOf(account, from), { extendedTextMessage: { text } }, id, { status: true }));
    return { messageId: id };
  }

  /** Contact `from` deletes one of its messages for everyone. */
  async revoke(phone: Phone, from: Phone, messageId: string): Promise<{ messageId: string }> {
    const account = this.account(phone);
    const contact = this.contactOf(account, from);
    const id = newMessageId();
    const message: proto.IMessage = {
      protocolMessage: {
        type: proto.Message.ProtocolMessage.Type.REVOKE,
        key: { remoteJid: account.pnJid, fromMe: true, id: messageId }
      }
    };
    await account.deliver(contactMessage(contact, message, id));
    return { messageId: id };
  }

  /** Contact `from` edits one of the messages it sent. */
  async editText(phone: Phone, from: Phone, messageId: string, text: string): Promise<{ messageId: string }> {
    const account = this.account(phone);
    const id = newMessageId();
    await account.deliver(contactMessage(this.contactOf(account, from), editMessage(account, messageId, text), id));
    return { messageId: id };
  }

  /** Contact `from` sets a new profile picture (`picture: true`) or removes it. */
  async changePicture(phone: Phone, from: Phone, picture: boolean): Promise<{ pictureId: number | null }> {
    const account = this.account(phone);
    const contact = this.contactOf(account, from);
    contact.picture = picture;
    if (picture) contact.pictureId++;
    await account.deliver(pictureNotification(contact, newMessageId()));
    return { pictureId: picture ? contact.pictureId : null };
  }

  /** The account's own phone sends a text to contact `to`; the linked client gets its copy. */
  async sendFromPhone(phone: Phone, to: Phone, text: string): Promise<{ messageId: string }> {
    const account = this.account(phone);
    const id = newMessageId();
    await account.deliver(phoneSentMessage(account, this.contactOf(account, to), text, id));
    return { messageId: id };
  }

  /**
   * Contact `from` calls the account, or, with `group` (its JID or ID), calls that group from inside it;
   * the client hears the offer now or at its next login.
   */
  async call(phone: Phone, from: Phone, isVideo: boolean, group?: string): Promise<{ callId: string }> {
    const account = this.account(phone);
    const contact = this.contactOf(account, from);
    const inGroup = group === undefined ? undefined : this.groupOf(account, group);
    if (inGroup && !inGroup.members.has(contact.phone)) throw new SimulatorError(403, `${from} is not in group ${inGroup.jid}`);
    const callId = randomBytes(16).toString('hex').toUpperCase();
    account.calls.push({ id: callId, from: contact.phone, isVideo, group: inGroup?.jid ?? null, offeredAt: Date.now(), rejectedAt: null });
    await account.deliver(callOffer(contact, callId, isVideo, inGroup?.jid));
    return { callId };
  }

  /** Calls offered to the account, with whether the client rejected each. */
  calls(phone: Phone): SimCall[] {
    return this.account(phone).calls.map(c => ({ ...c }));
  }

  /** Contact `from` changes presence; pushed only if the client is there now, as presence is not stored. */
  presence(phone: Phone, from: Phone, presence: Presence): { delivered: boolean } {
    const account = this.account(phone);
    const contact = this.contactOf(account, from);
    contact.presence = { state: presence, lastSeen: Math.floor(Date.now() / 1000) };
    return { delivered: account.sendIfOnline(presenceNode(contact)) };
  }

  outbox(phone: Phone): OutboxEntry[] {
    return [...this.account(phone).outbox];
  }

  /** Calls `listener` synchronously as each receipt from the client arrives (tests act at that exact point). */
  onClientReceipt(phone: Phone, listener: (receipt: ClientReceipt) => void): () => void {
    return this.account(phone).onReceipt(listener);
  }

  clientReceipts(phone: Phone): ClientReceipt[] {
    return [...this.account(phone).clientReceipts];
  }

  clientPresence(phone: Phone): ClientPresence[] {
    return [...this.account(phone).clientPresence];
  }

  setReceipts(phone: Phone, from: Phone, mode: ReceiptMode): void {
    this.contactOf(this.account(phone), from).receipts = mode;
  }

  /** Contact `from` reads messages the client sent it (a manual read receipt). */
  async read(phone: Phone, from: Phone, messageIds: string[]): Promise<void> {
    const account = this.account(phone);
    const contact = this.contactOf(account, from);
    if (!messageIds.length) throw new SimulatorError(400, 'messageIds is empty');
    // The receipt names the chat the way the client addressed it.
    const sent = account.outbox.find(e => e.id === messageIds[0]);
    await account.deliver(contactReceipt(sent?.to ?? contact.pnJid, messageIds, 'read'));
  }

  /** Makes the client's receipts go missing until turned off (the messages they answer come again at the next login). */
  loseReceipts(phone: Phone, lose: boolean): void {
    this.account(phone).losesReceipts = lose;
  }

  /**
   * Ends the client's session as WhatsApp would: logout 401, replaced 440, restart 515, or a
   * dropped socket; a drop with `unreachableMs` also drops every login for that long, so the
   * client stays away for a while as after a network outage instead of reconnecting at once.
   */
  kick(phone: Phone, reason: KickReason, opts: { unreachableMs?: number } = {}): { kicked: boolean } {
    const account = this.account(phone);
    if (reason === 'drop' && opts.unreachableMs) account.unreachableUntil = Date.now() + opts.unreachableMs;
    const link = account.link;
    if (reason === 'logout') account.unlink();
    if (!link) return { kicked: false };
    if (reason === 'drop') link.drop();
    else if (reason === 'logout') link.close(LOGGED_OUT);
    else if (reason === 'replaced') link.close({ tag: 'stream:error', attrs: {}, content: [{ tag: 'conflict', attrs: { type: 'replaced' } }] });
    else link.close({ tag: 'stream:error', attrs: { code: '515' } });
    return { kicked: true };
  }

  /**
   * The user did something on the phone that changes app state (archive, mute, a new
   * contact...): the patch is recorded and the client told with `server_sync`, now
   * or, if it is away, when it next logs in.
   */
  async appStateAction(phone: Phone, action: PhoneAction): Promise<{ collection: string; version: number }> {
    const account = this.account(phone);
    const { mod, jid } = toModification(account, action);
    const changed = await account.appState.phoneChange(mod, jid);
    await account.deliver(async () => serverSyncNotification(changed.collection, newMessageId()));
    return changed;
  }

  /** The account's app state decoded: what the phone and the client wrote. */
  appState(phone: Phone): ReturnType<SimAccount['appState']['view']> {
    return this.account(phone).appState.view();
  }

  setOffline(phone: Phone, offline: boolean): void {
    this.account(phone).offline = offline;
  }

  // --- groups (what contacts do in them; the client's own changes come as w:g2 IQs) ---

  private groupOf(account: SimAccount, id: string): SimGroup {
    const group = account.groups.get(id.replace(/@g\.us$/, ''));
    if (!group) throw notFound(`no group ${id} on account ${account.phone}`);
    return group;
  }

  private asRefusal<T>(run: () => T): T {
    try {
      return run();
    } catch (err) {
      if (err instanceof GroupRefusal) throw new SimulatorError(err.code === 406 ? 409 : err.code, `WhatsApp refused it: ${err.text}`);
      throw err;
    }
  }

  /** Contact `by` creates a group with the account and `participants` in it; the client is told with a `create` notification. */
  async createGroup(phone: Phone, spec: { subject: string; participants: Phone[]; by: Phone }): Promise<ReturnType<typeof groupView>> {
    const account = this.account(phone);
    const creator = this.contactOf(account, spec.by);
    const group = new SimGroup(spec.subject, creator.phone);
    group.members.set(account.phone, null);
    for (const p of spec.participants) if (p !== account.phone) group.members.set(this.contactOf(account, p).phone, null);
    account.groups.set(group.id, group);
    // No linked device yet: the group is simply one the account is in, and the device learns of it when it links.
    if (account.companion) {
      await account.deliver(groupNotification(account, group, creator.phone, { tag: 'create', attrs: {}, content: [groupNode(account, group)] }));
    }
    return groupView(account, group);
  }

  /** Admin `by` adds, removes, promotes or demotes members; a removal starts new sender keys for everyone left. */
  async groupParticipants(
    phone: Phone,
    id: string,
    spec: { action: ParticipantAction; participants: Phone[]; by: Phone }
  ): Promise<{ results: { phone: Phone; jid: string; error?: number }[] }> {
    const account = this.account(phone);
    const group = this.groupOf(account, id);
    const actor = this.contactOf(account, spec.by).phone;
    const { results, changed } = this.asRefusal(() => changeParticipants(account, group, actor, spec.action, spec.participants));
    if (changed.length) await account.deliver(groupNotification(account, group, actor, participantsChild(account, spec.action, changed)));
    if (changed.length && spec.action === 'remove') rotateSenderKeys(account, group);
    return { results };
  }

  /** Member `by` renames the group. */
  async groupSubject(phone: Phone, id: string, spec: { subject: string; by: Phone }): Promise<ReturnType<typeof groupView>> {
    const account = this.account(phone);
    const group = this.groupOf(account, id);
    const actor = this.contactOf(account, spec.by).phone;
    this.asRefusal(() => group.assertMayEdit(actor, false));
    group.subject = spec.subject;
    group.subjectOwner = actor;
    group.subjectTime = Math.floor(Date.now() / 1000);
    await account.deliver(
      groupNotification(account, group, actor, { tag: 'subject', attrs: { subject: spec.subject, s_t: String(group.subjectTime) } })
    );
    return groupView(account, group);
  }

  /** Member `from` writes to the group, with real sender keys; `mentions` are phones mentioned in it. */
  async groupMessage(phone: Phone, id: string, from: Phone, text: string, mentions: Phone[] = []): Promise<{ messageId: string }> {
    const account = this.account(phone);
    const group = this.groupOf(account, id);
    const contact = this.contactOf(account, from);
    if (!group.members.has(contact.phone)) throw new SimulatorError(409, `${from} is not in group ${group.jid}`);
    if (!group.members.has(account.phone)) throw new SimulatorError(409, `account ${phone} is not in group ${group.jid}`);
    const messageId = newMessageId();
    // A mention travels as the phone's LID-era clients send it: the text, and the JIDs mentioned beside it.
    const message: proto.IMessage = mentions.length
      ? { extendedTextMessage: { text, contextInfo: { mentionedJid: mentions.map(p => `${p}@s.whatsapp.net`) } } }
      : { conversation: text };
    await account.deliver(memberGroupMessage(group, contact, message, messageId));
    return { messageId };
  }

  /** The group as the simulator holds it. */
  group(phone: Phone, id: string): ReturnType<typeof groupView> {
    const account = this.account(phone);
    return groupView(account, this.groupOf(account, id));
  }
}
