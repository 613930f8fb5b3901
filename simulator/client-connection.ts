import { randomBytes } from 'node:crypto';
import {
  aesDecryptCTR,
  aesDecryptGCM,
  aesEncryptCTR,
  Curve,
  decodeBinaryNode,
  derivePairingCodeKey,
  getBinaryNodeChildBuffer,
  hkdf,
  encodeBinaryNode,
  getBinaryNodeChild,
  hmacSign,
  proto,
  type BinaryNode,
  type KeyPair
} from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { SimAccount } from './account.js';
import { fullHistorySync, historySync, phoneMessage, presenceNode } from './inbound-stanzas.js';
import { answerIq } from './iq-router.js';
import type { ClientLink, Companion, StanzaBuilder } from './model.js';
import { frame, FrameReader, NoiseResponder } from './noise-responder.js';
import { receiveFromClient } from './outbound.js';
import type { MediaServer } from './media-server.js';
import { answerMediaRetry } from './media-retry.js';

/** What a connection needs from the simulator that owns it. */
export interface ConnectionHost {
  readonly logger: Logger;
  readonly qrRefs: number;
  accountByPhone(phone: string): SimAccount | undefined;
  registerRefs(refs: string[], conn: ClientConnection): void;
  /** A client asked to pair with this phone by code. */
  registerCodePairing(phone: string, conn: ClientConnection): void;
  releaseRefs(conn: ClientConnection): void;
  pictureUrl(phone: string): string;
  readonly media: MediaServer;
  /** Whether a client of this WhatsApp Web version is let in (older ones are refused with 405). */
  accepts(version: readonly number[]): boolean;
}

/** A client that asked to pair by code: what it sent in `companion_hello`, and what the phone answered. */
interface CodePairing {
  phone: string;
  wrappedCompanionEphemeral: Buffer;
  ref: Buffer;
  primaryEphemeral?: KeyPair;
  account?: SimAccount;
  code?: string;
  companionEphemeral?: Buffer;
  settle?: { resolve: () => void; reject: (err: Error) => void };
}

/** Registration data a new client offers in its ClientPayload, before it is paired. */
interface Registration {
  registrationId: number;
  identityKey: Buffer;
  signedPreKey: { keyId: number; publicKey: Buffer; signature: Buffer };
  /** The client's DeviceProps asked for the whole history rather than the recent one. */
  fullSync: boolean;
}

/** What WhatsApp sends a device that was unlinked from the phone (Baileys: 401 logged out). */
export const LOGGED_OUT: BinaryNode = {
  tag: 'stream:error',
  attrs: { code: '401' },
  content: [{ tag: 'conflict', attrs: { type: 'device_removed' } }]
};

const readBigEndian = (buf: Uint8Array): number => buf.reduce((acc, byte) => acc * 256 + byte, 0);
const nowSeconds = (): string => String(Math.floor(Date.now() / 1000));

/** One WebSocket from a Baileys client: the Noise handshake, then pairing or login, then stanzas. */
export class ClientConnection implements ClientLink {
  private readonly reader = new FrameReader();
  private readonly noise: NoiseResponder;
  private handshakeStep: 'hello' | 'finish' | 'done' = 'hello';
  private clientStatic?: Buffer;
  private registration?: Registration;
  private account?: SimAccount;
  private linked?: Companion;
  private nextId = 1;
  private readonly awaiting = new Map<string, (node: BinaryNode) => void>();
  // Inbound frames are decoded asynchronously; one chain keeps them in order.
  private inChain: Promise<void> = Promise.resolve();
  // Built stanzas are encrypted asynchronously; one chain keeps them in order.
  private outChain: Promise<void> = Promise.resolve();
  private closed = false;
  /**
   * Messages sent to the client that it has neither receipted nor acknowledged. As on
   * WhatsApp, they are not done with: when the connection ends they go back to the
   * account's queue and arrive again, as offline messages, at the next login.
   */
  private readonly unacked = new Map<string, StanzaBuilder>();
  readonly refs: string[] = [];
  /** Set while the client waits to be paired by a code typed on the phone. */
  codePairing?: CodePairing;
  private log: Logger;

  constructor(
    private readonly ws: WebSocket,
    private readonly host: ConnectionHost,
    serverStatic: KeyPair
  ) {
    this.noise = new NoiseResponder(serverStatic);
    this.log = host.logger.child({ conn: randomBytes(3).toString('hex') });
    ws.on('message', (data: Buffer) => this.onData(data));
    ws.on('close', () => this.onClosed());
    ws.on('error', err => this.log.debug({ err }, 'socket error'));
  }

  get companion(): Companion {
    if (!this.linked) throw new Error('connection is not logged in');
    return this.linked;
  }

  get noiseKey(): Buffer | undefined {
    return this.clientStatic;
  }

  send(node: BinaryNode): void {
    if (this.closed) return;
    this.ws.send(frame(this.noise.encrypt(encodeBinaryNode(node))));
  }

  sendBuilt(build: StanzaBuilder, attrs: Record<string, string> = {}): Promise<void> {
    const run = this.outChain.then(async () => {
      if (this.closed || !this.linked) {
        // Ended before this one went out: it waits for the next login like any other.
        if (this.linked && this.account?.companion === this.linked) this.account.requeue([build], 'tail');
        return;
      }
      const node = await build(this.linked);
      if (node.tag === 'message' && node.attrs.id) this.unacked.set(node.attrs.id, build);
      this.send({ ...node, attrs: { ...node.attrs, ...attrs } });
    });
    this.outChain = run.catch(err => this.log.warn({ err }, 'could not build stanza'));
    return this.outChain;
  }

  /** Ends the stream, optionally with a reason node (e.g. `<stream:error code="515"/>`). */
  close(reason?: BinaryNode): void {
    if (this.closed) return;
    if (reason) this.send(reason);
    this.closed = true;
    this.detach();
    this.ws.close();
  }

  /** Drops the socket without a goodbye, as a lost network does. */
  drop(): void {
    this.closed = true;
    this.detach();
    this.ws.terminate();
  }

  /** The account's phone scanned this connection's QR: sends pair-success and, once signed, restarts the client (515). */
  async pair(account: SimAccount, advSecret: Buffer): Promise<void> {
    const registration = this.registration;
    if (!registration || !this.clientStatic) throw new Error('this connection is not waiting to be paired');
    const deviceId = account.newDeviceId();
    const deviceDetails = proto.ADVDeviceIdentity.encode({
      rawId: randomBytes(4).readUInt32BE(0),
      timestamp: Math.floor(Date.now() / 1000),
      keyIndex: deviceId,
      accountType: proto.ADVEncryptionType.E2EE,
      deviceType: proto.ADVEncryptionType.E2EE
    }).finish();
    const phoneIdentity = account.phoneDevice.identity;
    const accountSignature = Curve.sign(
      phoneIdentity.privKey,
      Buffer.concat([Buffer.from([6, 0]), deviceDetails, registration.identityKey])
    );
    const details = proto.ADVSignedDeviceIdentity.encode({
      details: deviceDetails,
      accountSignatureKey: account.phoneDevice.identityPublic,
      accountSignature
    }).finish();
    const identity = proto.ADVSignedDeviceIdentityHMAC.encode({ details, hmac: hmacSign(details, advSecret) }).finish();
    const reply = await this.query({
      tag: 'iq',
      attrs: { from: 's.whatsapp.net', type: 'set', xmlns: 'md' },
      content: [
        {
          tag: 'pair-success',
          attrs: {},
          content: [
            { tag: 'device-identity', attrs: {}, content: identity },
            { tag: 'platform', attrs: { name: 'android' } },
            { tag: 'device', attrs: { jid: `${account.phone}:${deviceId}@s.whatsapp.net`, lid: `${account.lid}:${deviceId}@lid` } }
          ]
        }
      ]
    });
    if (!getBinaryNodeChild(reply, 'pair-device-sign')) throw new Error(`the client did not sign the pairing: ${JSON.stringify(reply)}`);
    // A phone links one client here: a new pairing unlinks the previous device.
    account.link?.close(LOGGED_OUT);
    account.unlink();
    account.companion = {
      deviceId,
      noiseKey: this.clientStatic,
      peer: `${account.phone}_${deviceId}_${randomBytes(4).toString('hex')}`,
      historySent: false,
      fullSync: registration.fullSync,
      bundle: { registrationId: registration.registrationId, identityKey: registration.identityKey, signedPreKey: registration.signedPreKey, preKeys: [] }
    };
    this.log.info({ phone: account.phone, deviceId }, 'paired');
    // As WhatsApp does: the paired client must reconnect and log in.
    this.close({ tag: 'stream:error', attrs: { code: '515' } });
  }

  /**
   * The phone's user typed `code` into "link with phone number". The phone unwraps
   * the client's ephemeral key with it and answers with its own (`primary_hello`);
   * resolves once the client's `companion_finish` proved it holds the same code
   * and the pairing went through, rejects when the code was wrong.
   */
  enterPairingCode(account: SimAccount, code: string): Promise<void> {
    const pairing = this.codePairing;
    if (!pairing) return Promise.reject(new Error('this connection did not ask for a pairing code'));
    const wrapped = pairing.wrappedCompanionEphemeral;
    return (async () => {
      const salt = wrapped.subarray(0, 32);
      const iv = wrapped.subarray(32, 48);
      pairing.companionEphemeral = aesDecryptCTR(wrapped.subarray(48, 80), await derivePairingCodeKey(code, salt), iv);
      pairing.primaryEphemeral = Curve.generateKeyPair();
      pairing.account = account;
      pairing.code = code;
      const outSalt = randomBytes(32);
      const outIv = randomBytes(16);
      const wrappedPrimary = Buffer.concat([
        outSalt,
        outIv,
        aesEncryptCTR(pairing.primaryEphemeral.public, await derivePairingCodeKey(code, outSalt), outIv)
      ]);
      const done = new Promise<void>((resolve, reject) => (pairing.settle = { resolve, reject }));
      this.send({
        tag: 'notification',
        attrs: { from: 's.whatsapp.net', type: 'link_code_companion_reg', id: `sim-${this.nextId++}`, t: nowSeconds() },
        content: [
          {
            tag: 'link_code_companion_reg',
            attrs: { stage: 'primary_hello' },
            content: [
              { tag: 'link_code_pairing_ref', attrs: {}, content: pairing.ref },
              { tag: 'primary_identity_pub', attrs: {}, content: account.phoneDevice.identityPublic },
              { tag: 'link_code_pairing_wrapped_primary_ephemeral_pub', attrs: {}, content: wrappedPrimary }
            ]
          }
        ]
      });
      await done;
    })();
  }

  /** `companion_hello` (the client shows a code) and `companion_finish` (it answers the phone). */
  private async onLinkCode(iq: BinaryNode, reg: BinaryNode): Promise<void> {
    const ok = (content?: BinaryNode[]) =>
      this.send({ tag: 'iq', attrs: { id: iq.attrs.id ?? '', type: 'result', from: 's.whatsapp.net' }, content });
    if (reg.attrs.stage === 'companion_hello') {
      const wrapped = getBinaryNodeChildBuffer(reg, 'link_code_pairing_wrapped_companion_ephemeral_pub');
      const phone = (reg.attrs.jid ?? '').split('@')[0] ?? '';
      if (!wrapped || wrapped.length < 80) return ok();
      const ref = Buffer.from(`2@${randomBytes(16).toString('base64')}`);
      this.codePairing = { phone, wrappedCompanionEphemeral: Buffer.from(wrapped), ref };
      this.host.registerCodePairing(phone, this);
      return ok([{ tag: 'link_code_companion_reg', attrs: {}, content: [{ tag: 'link_code_pairing_ref', attrs: {}, content: ref }] }]);
    }
    const pairing = this.codePairing;
    if (reg.attrs.stage !== 'companion_finish' || !pairing?.primaryEphemeral || !pairing.companionEphemeral || !pairing.account) return ok();
    ok();
    this.codePairing = undefined;
    // Not awaited: pair() waits for the client's reply, which arrives through this same frame chain.
    void this.finishCodePairing(pairing, reg);
  }

  private async finishCodePairing(pairing: CodePairing, reg: BinaryNode): Promise<void> {
    try {
      const bundle = Buffer.from(getBinaryNodeChildBuffer(reg, 'link_code_pairing_wrapped_key_bundle') ?? []);
      const companionIdentity = Buffer.from(getBinaryNodeChildBuffer(reg, 'companion_identity_public') ?? []);
      const companionShared = Curve.sharedKey(pairing.primaryEphemeral!.private, pairing.companionEphemeral!);
      const key = hkdf(companionShared, 32, { salt: bundle.subarray(0, 32), info: 'link_code_pairing_key_bundle_encryption_key' });
      // GCM fails here when the client unwrapped our key with another code: the code was wrong.
      const plain = aesDecryptGCM(bundle.subarray(44), key, bundle.subarray(32, 44), Buffer.alloc(0));
      const random = plain.subarray(64, 96);
      const identityShared = Curve.sharedKey(pairing.account!.phoneDevice.identity.privKey, companionIdentity);
      const advSecret = Buffer.from(hkdf(Buffer.concat([companionShared, identityShared, random]), 32, { info: 'adv_secret' }));
      await this.pair(pairing.account!, advSecret);
      pairing.settle?.resolve();
    } catch (err) {
      this.log.info({ err }, 'code pairing failed');
      pairing.settle?.reject(new Error('pairing code does not match'));
    }
  }

  private query(node: BinaryNode): Promise<BinaryNode> {
    const id = `sim-${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.awaiting.delete(id);
        reject(new Error(`no reply to ${node.tag} ${id}`));
      }, 20_000);
      this.awaiting.set(id, reply => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.send({ ...node, attrs: { ...node.attrs, id } });
    });
  }

  private onData(data: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.reader.push(data);
    } catch (err) {
      this.log.warn({ err }, 'bad frame; closing');
      this.drop();
      return;
    }
    for (const payload of frames) {
      this.inChain = this.inChain
        .then(() => this.onFrame(payload))
        .catch(err => {
          this.log.warn({ err }, 'failed to handle frame');
          if (this.handshakeStep !== 'done') this.drop();
        });
    }
  }

  private async onFrame(payload: Buffer): Promise<void> {
    if (this.closed) return;
    if (this.handshakeStep === 'hello') {
      const hello = proto.HandshakeMessage.decode(payload).clientHello;
      if (!hello?.ephemeral) throw new Error('expected ClientHello');
      this.ws.send(frame(this.noise.serverHello(hello.ephemeral)));
      this.handshakeStep = 'finish';
      return;
    }
    if (this.handshakeStep === 'finish') {
      const finish = proto.HandshakeMessage.decode(payload).clientFinish;
      if (!finish) throw new Error('expected ClientFinish');
      const { clientStatic, payload: clientPayload } = this.noise.clientFinish(finish);
      this.clientStatic = clientStatic;
      this.handshakeStep = 'done';
      this.onClientPayload(clientPayload);
      return;
    }
    await this.onNode(await decodeBinaryNode(this.noise.decrypt(payload)));
  }

  private onClientPayload(payload: proto.ClientPayload): void {
    const app = payload.userAgent?.appVersion;
    const version = [app?.primary ?? 0, app?.secondary ?? 0, app?.tertiary ?? 0];
    if (!this.host.accepts(version)) {
      // What WhatsApp answers a client whose version it retired; Baileys ends with that status.
      this.log.info({ version: version.join('.') }, 'client version too old; refusing with 405');
      this.close({ tag: 'failure', attrs: { reason: '405', location: 'sim' } });
      return;
    }
    const pairing = payload.devicePairingData;
    if (pairing) {
      this.registration = {
        registrationId: readBigEndian(pairing.eRegid ?? new Uint8Array()),
        identityKey: Buffer.from(pairing.eIdent ?? []),
        signedPreKey: {
          keyId: readBigEndian(pairing.eSkeyId ?? new Uint8Array()),
          publicKey: Buffer.from(pairing.eSkeyVal ?? []),
          signature: Buffer.from(pairing.eSkeySig ?? [])
        },
        fullSync: !!(pairing.deviceProps?.length && proto.DeviceProps.decode(pairing.deviceProps).requireFullSync)
      };
      for (let i = 0; i < this.host.qrRefs; i++) this.refs.push(`2@${randomBytes(24).toString('base64')}`);
      this.host.registerRefs(this.refs, this);
      this.send({
        tag: 'iq',
        attrs: { from: 's.whatsapp.net', type: 'set', id: `sim-${this.nextId++}`, xmlns: 'md' },
        content: [{ tag: 'pair-device', attrs: {}, content: this.refs.map(ref => ({ tag: 'ref', attrs: {}, content: Buffer.from(ref) })) }]
      });
      return;
    }
    this.login(String(payload.username ?? ''), payload.device ?? 0);
  }

  /** A known client device logs in; anything else is refused as logged out (401). */
  private login(phone: string, deviceId: number): void {
    const account = this.host.accountByPhone(phone);
    const companion = account?.companion;
    if (!account || !companion || companion.deviceId !== deviceId || !this.clientStatic?.equals(companion.noiseKey)) {
      this.log.info({ phone, deviceId }, 'unknown device; refusing login');
      this.close({ tag: 'failure', attrs: { reason: '401', location: 'sim' } });
      return;
    }
    if (account.unreachableUntil > Date.now()) {
      this.log.info({ phone }, 'account unreachable; dropping its login');
      this.drop();
      return;
    }
    // A second login of the same device replaces the first, as on WhatsApp (440).
    account.link?.close({ tag: 'stream:error', attrs: {}, content: [{ tag: 'conflict', attrs: { type: 'replaced' } }] });
    this.account = account;
    this.linked = companion;
    account.link = this;
    this.log = this.log.child({ phone });
    this.send({
      tag: 'success',
      attrs: { t: nowSeconds(), lid: `${account.lid}:${deviceId}@lid`, props: '1', creation: nowSeconds(), location: 'sim' }
    });
  }

  /** After `passive active`: the offline queue, its end marker, then the first history sync. */
  private async onActive(): Promise<void> {
    const account = this.account;
    if (!account || account.link !== this) return;
    const count = account.offline ? 0 : await account.flushPending(this);
    this.send({ tag: 'ib', attrs: {}, content: [{ tag: 'offline', attrs: { count: String(count) } }] });
    if (!this.companion.historySent) {
      this.companion.historySent = true;
      // The key first: the history sync makes Baileys fetch app state, which it can only read with the key.
      await this.sendBuilt(phoneMessage(account, account.appState.keyShare()));
      const initial = historySync(account);
      for (const message of initial) await this.sendBuilt(phoneMessage(account, message));
      if (this.companion.fullSync) for (const message of fullHistorySync(account, initial.length)) await this.sendBuilt(phoneMessage(account, message));
      // A new device knows none of the account's groups: WhatsApp marks them dirty, and the client fetches them all.
      if ([...account.groups.values()].some(g => g.members.has(account.phone))) {
        this.send({ tag: 'ib', attrs: {}, content: [{ tag: 'dirty', attrs: { type: 'groups', timestamp: nowSeconds() } }] });
      }
    }
  }

  private async onNode(node: BinaryNode): Promise<void> {
    const account = this.account;
    if (node.tag === 'iq' && (node.attrs.type === 'result' || node.attrs.type === 'error')) {
      const id = node.attrs.id ?? '';
      this.awaiting.get(id)?.(node);
      this.awaiting.delete(id);
      return;
    }
    if (!account || !this.linked) {
      // Before login only the pairing exchanges and pings are meaningful.
      const reg = node.tag === 'iq' ? getBinaryNodeChild(node, 'link_code_companion_reg') : undefined;
      if (reg) await this.onLinkCode(node, reg);
      else if (node.tag === 'iq') this.send({ tag: 'iq', attrs: { id: node.attrs.id ?? '', type: 'result', from: 's.whatsapp.net' } });
      return;
    }
    switch (node.tag) {
      case 'iq':
        this.send(
          await answerIq(node, {
            account,
            companion: this.linked,
            pictureUrl: phone => this.host.pictureUrl(phone),
            mediaConn: () => this.host.media.mediaConn(account.phone),
            onActive: () => void this.onActive(),
            onRemoveCompanion: () => {
              account.unlink();
              this.close();
            }
          })
        );
        return;
      case 'message':
        await receiveFromClient(account, this.linked, node, n => this.send(n), this.host.media);
        return;
      case 'receipt': {
        if (account.losesReceipts) return;
        const ids = [node.attrs.id ?? '', ...itemIds(node)];
        // A retry receipt asks for the message again: it was not taken.
        if (node.attrs.type !== 'retry') for (const id of ids) this.unacked.delete(id);
        account.recordReceipt({ to: node.attrs.to ?? '', type: node.attrs.type ?? 'delivery', ids, timestamp: Date.now() });
        this.send({ tag: 'ack', attrs: { class: 'receipt', id: node.attrs.id ?? '', from: node.attrs.to ?? '' } });
        const retried = answerMediaRetry(this.host.media, node);
        if (retried) this.send(retried);
        return;
      }
      case 'ack':
        // Taken without a receipt (newsletters, messages it ignores); one with an error is a refusal, kept for later.
        if (node.attrs.class === 'message' && !node.attrs.error) this.unacked.delete(node.attrs.id ?? '');
        return;
      case 'presence':
        this.onPresence(account, node);
        return;
      case 'call':
        this.onCall(account, node);
        return;
      case 'chatstate': {
        const state = Array.isArray(node.content) ? node.content[0] : undefined;
        const name = state?.tag === 'composing' && state.attrs.media === 'audio' ? 'recording' : (state?.tag ?? 'unknown');
        account.clientPresence.push({ to: node.attrs.to ?? null, state: name, timestamp: Date.now() });
        return;
      }
      default:
        return; // acks, ib and the like need no answer
    }
  }

  private onPresence(account: SimAccount, node: BinaryNode): void {
    if (node.attrs.type === 'subscribe' && node.attrs.to) {
      const party = account.party(node.attrs.to);
      if (party?.kind === 'contact' && party.contact.onWhatsApp) this.send(presenceNode(party.contact));
      return;
    }
    account.clientPresence.push({ to: null, state: node.attrs.type ?? 'available', timestamp: Date.now() });
  }

  /** The client answers a call offer; a `<reject>` is recorded on the call and acknowledged (Baileys awaits it). */
  private onCall(account: SimAccount, node: BinaryNode): void {
    const reject = getBinaryNodeChild(node, 'reject');
    const call = reject ? account.calls.find(c => c.id === reject.attrs['call-id']) : undefined;
    if (call && call.rejectedAt === null) call.rejectedAt = Date.now();
    this.send({ tag: 'ack', attrs: { class: 'call', id: node.attrs.id ?? '', from: node.attrs.to ?? '', ...(reject ? { type: 'reject' } : {}) } });
  }

  private detach(): void {
    this.host.releaseRefs(this);
    if (this.account?.link === this) this.account.link = undefined;
  }

  private onClosed(): void {
    this.closed = true;
    this.detach();
    const unacked = [...this.unacked.values()];
    this.unacked.clear();
    if (unacked.length && this.linked && this.account?.companion === this.linked) this.account.requeue(unacked, 'head');
    for (const resolve of this.awaiting.values()) resolve({ tag: 'iq', attrs: { type: 'error' } });
    this.awaiting.clear();
  }
}

const itemIds = (node: BinaryNode): string[] => {
  const list = getBinaryNodeChild(node, 'list');
  return Array.isArray(list?.content) ? list.content.map(item => item.attrs.id ?? '').filter(Boolean) : [];
};
