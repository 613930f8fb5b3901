import * as libsignal from 'libsignal';
import { encodeBigEndian, type BinaryNode } from '@whiskeysockets/baileys';

interface SignalKeyPair {
  pubKey: Buffer;
  privKey: Buffer;
}
interface KeyHelper {
  generateIdentityKeyPair(): SignalKeyPair;
  generateRegistrationId(): number;
  generateSignedPreKey(identity: SignalKeyPair, keyId: number): { keyId: number; keyPair: SignalKeyPair; signature: Buffer };
  generatePreKey(keyId: number): { keyId: number; keyPair: SignalKeyPair };
}
const keyhelper = (libsignal as unknown as { keyhelper: KeyHelper }).keyhelper;

/** The key bundle a WhatsApp client uploads; what a simulated device encrypts to. */
export interface ClientBundle {
  registrationId: number;
  /** 32-byte Curve25519 public key, as it travels on the wire. */
  identityKey: Uint8Array;
  signedPreKey: { keyId: number; publicKey: Uint8Array; signature: Uint8Array };
  /** One-time pre-keys not yet handed out; each new session consumes one. */
  preKeys: { keyId: number; publicKey: Uint8Array }[];
}

const withType = (key: Uint8Array): Buffer => (key.length === 33 ? Buffer.from(key) : Buffer.concat([Buffer.from([5]), key]));
const withoutType = (key: Uint8Array): Buffer => Buffer.from(key.length === 33 ? key.subarray(1) : key);

/**
 * One simulated WhatsApp device (a contact's phone, or the account's own phone)
 * with its own libsignal identity, pre-keys and sessions, all in memory.
 */
export class SignalDevice {
  readonly identity = keyhelper.generateIdentityKeyPair();
  readonly registrationId = keyhelper.generateRegistrationId();
  private readonly signedPreKey = keyhelper.generateSignedPreKey(this.identity, 1);
  private readonly preKeys = new Map<number, SignalKeyPair>();
  private nextPreKeyId = 1;
  private readonly sessions = new Map<string, libsignal.SessionRecord>();
  // libsignal's cipher state is not safe under concurrent use of one session.
  private chain: Promise<unknown> = Promise.resolve();

  private readonly storage: libsignal.SignalStorage = {
    loadSession: async id => this.sessions.get(id),
    storeSession: async (id, session) => {
      this.sessions.set(id, session);
    },
    isTrustedIdentity: () => true,
    loadPreKey: async id => {
      const pair = this.preKeys.get(Number(id));
      return pair && { privKey: pair.privKey, pubKey: pair.pubKey };
    },
    removePreKey: id => {
      this.preKeys.delete(Number(id));
    },
    loadSignedPreKey: () => this.signedPreKey.keyPair,
    getOurRegistrationId: () => this.registrationId,
    getOurIdentity: () => this.identity
  };

  /** 32-byte public identity key, as the wire carries it. */
  get identityPublic(): Buffer {
    return withoutType(this.identity.pubKey);
  }

  /** The `<user>` node of an `encrypt`/`key` answer: a fresh one-time pre-key per fetch. */
  bundleNode(jid: string): BinaryNode {
    const preKey = keyhelper.generatePreKey(this.nextPreKeyId++);
    this.preKeys.set(preKey.keyId, preKey.keyPair);
    return {
      tag: 'user',
      attrs: { jid },
      content: [
        { tag: 'registration', attrs: {}, content: encodeBigEndian(this.registrationId, 4) },
        { tag: 'type', attrs: {}, content: Buffer.from([5]) },
        { tag: 'identity', attrs: {}, content: this.identityPublic },
        {
          tag: 'skey',
          attrs: {},
          content: [
            { tag: 'id', attrs: {}, content: encodeBigEndian(this.signedPreKey.keyId, 3) },
            { tag: 'value', attrs: {}, content: withoutType(this.signedPreKey.keyPair.pubKey) },
            { tag: 'signature', attrs: {}, content: this.signedPreKey.signature }
          ]
        },
        {
          tag: 'key',
          attrs: {},
          content: [
            { tag: 'id', attrs: {}, content: encodeBigEndian(preKey.keyId, 3) },
            { tag: 'value', attrs: {}, content: withoutType(preKey.keyPair.pubKey) }
          ]
        }
      ]
    };
  }

  /** Encrypts to a client device, starting a session from its uploaded bundle when there is none. */
  encrypt(peer: string, bundle: ClientBundle, plaintext: Uint8Array): Promise<{ type: 'pkmsg' | 'msg'; ciphertext: Buffer }> {
    return this.serial(async () => {
      const address = new libsignal.ProtocolAddress(peer, 0);
      const record = this.sessions.get(address.toString());
      if (!record || !record.haveOpenSession()) {
        const preKey = bundle.preKeys.shift();
        await new libsignal.SessionBuilder(this.storage, address).initOutgoing({
          registrationId: bundle.registrationId,
          identityKey: withType(bundle.identityKey),
          signedPreKey: {
            keyId: bundle.signedPreKey.keyId,
            publicKey: withType(bundle.signedPreKey.publicKey),
            signature: bundle.signedPreKey.signature
          },
          // A bundle whose one-time keys ran out still opens a session, as on WhatsApp.
          preKey: (preKey && { keyId: preKey.keyId, publicKey: withType(preKey.publicKey) }) as {
            keyId: number;
            publicKey: Uint8Array;
          }
        });
      }
      const { type, body } = await new libsignal.SessionCipher(this.storage, address).encrypt(plaintext);
      return { type: type === 3 ? 'pkmsg' : 'msg', ciphertext: Buffer.from(body, 'binary') };
    });
  }

  /** Decrypts what a client device sent to this device. */
  decrypt(peer: string, type: string, ciphertext: Uint8Array): Promise<Buffer> {
    return this.serial(async () => {
      const cipher = new libsignal.SessionCipher(this.storage, new libsignal.ProtocolAddress(peer, 0));
      return type === 'pkmsg' ? cipher.decryptPreKeyWhisperMessage(ciphertext) : cipher.decryptWhisperMessage(ciphertext);
    });
  }

  /** Forgets every session with a peer, e.g. when that client device is unlinked. */
  forget(peer: string): void {
    this.sessions.delete(new libsignal.ProtocolAddress(peer, 0).toString());
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
