import {
  aesDecryptGCM,
  aesEncryptGCM,
  Curve,
  hkdf,
  proto,
  sha256,
  type KeyPair
} from '@whiskeysockets/baileys';
import { buildCertChain } from './certificates.js';

const NOISE_MODE = 'Noise_XX_25519_AESGCM_SHA256\0\0\0\0';
const WA_HEADER = Buffer.from([87, 65, 6, 3]);
const EMPTY = Buffer.alloc(0);

const iv = (counter: number): Buffer => {
  const out = Buffer.alloc(12);
  out.writeUInt32BE(counter, 8);
  return out;
};

/**
 * The responder side of WhatsApp's Noise XX handshake. It mirrors Baileys'
 * `makeNoiseHandler`, including its one quirk: during the handshake a single
 * counter is shared by encryption and decryption within each key epoch.
 */
export class NoiseResponder {
  private hash: Buffer;
  private salt: Buffer;
  private key: Buffer;
  private counter = 0;
  private readonly ephemeral = Curve.generateKeyPair();
  private transport?: { enc: Buffer; dec: Buffer; readCounter: number; writeCounter: number };

  constructor(private readonly serverStatic: KeyPair) {
    this.hash = Buffer.from(NOISE_MODE);
    this.salt = this.hash;
    this.key = this.hash;
    this.mixHash(WA_HEADER);
  }

  get isTransport(): boolean {
    return this.transport !== undefined;
  }

  /** Answers the ClientHello with a ServerHello (ephemeral, encrypted static, encrypted certificates). */
  serverHello(clientEphemeral: Uint8Array): Uint8Array {
    this.mixHash(clientEphemeral);
    this.mixHash(this.ephemeral.public);
    this.mixKey(Curve.sharedKey(this.ephemeral.private, clientEphemeral));
    const staticEnc = this.encryptHs(this.serverStatic.public);
    this.mixKey(Curve.sharedKey(this.serverStatic.private, clientEphemeral));
    const payloadEnc = this.encryptHs(buildCertChain(this.serverStatic));
    return proto.HandshakeMessage.encode({
      serverHello: { ephemeral: this.ephemeral.public, static: staticEnc, payload: payloadEnc }
    }).finish();
  }

  /** Reads the ClientFinish, switches to transport keys and returns the client's static key and payload. */
  clientFinish(finish: proto.HandshakeMessage.IClientFinish): { clientStatic: Buffer; payload: proto.ClientPayload } {
    if (!finish.static || !finish.payload) throw new Error('ClientFinish without static or payload');
    const clientStatic = this.decryptHs(finish.static);
    this.mixKey(Curve.sharedKey(this.ephemeral.private, clientStatic));
    const payload = proto.ClientPayload.decode(this.decryptHs(finish.payload));
    const split = hkdf(EMPTY, 64, { salt: this.salt, info: '' });
    // The client writes with the first half, so that is what we read with.
    this.transport = {
      dec: Buffer.from(split.subarray(0, 32)),
      enc: Buffer.from(split.subarray(32)),
      readCounter: 0,
      writeCounter: 0
    };
    return { clientStatic, payload };
  }

  encrypt(plaintext: Uint8Array): Buffer {
    if (!this.transport) throw new Error('Noise transport not ready');
    return aesEncryptGCM(plaintext, this.transport.enc, iv(this.transport.writeCounter++), EMPTY);
  }

  decrypt(ciphertext: Uint8Array): Buffer {
    if (!this.transport) throw new Error('Noise transport not ready');
    return aesDecryptGCM(ciphertext, this.transport.dec, iv(this.transport.readCounter++), EMPTY);
  }

  private mixHash(data: Uint8Array): void {
    this.hash = Buffer.from(sha256(Buffer.concat([this.hash, data])));
  }

  private mixKey(dh: Uint8Array): void {
    const out = hkdf(Buffer.from(dh), 64, { salt: this.salt, info: '' });
    this.salt = Buffer.from(out.subarray(0, 32));
    this.key = Buffer.from(out.subarray(32));
    this.counter = 0;
  }

  private encryptHs(plaintext: Uint8Array): Buffer {
    const out = aesEncryptGCM(plaintext, this.key, iv(this.counter++), this.hash);
    this.mixHash(out);
    return out;
  }

  private decryptHs(ciphertext: Uint8Array): Buffer {
    const out = aesDecryptGCM(ciphertext, this.key, iv(this.counter++), this.hash);
    this.mixHash(ciphertext);
    return out;
  }
}

/**
 * Splits the client's byte stream into frames (3-byte big-endian length + payload).
 * The client's first message carries the intro header (optionally behind an `ED`
 * routing prefix), which is stripped once.
 */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);
  private sawIntro = false;

  push(data: Buffer): Buffer[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : Buffer.from(data);
    if (!this.sawIntro) {
      if (this.buffer.length < 4) return [];
      if (this.buffer[0] === 0x45 && this.buffer[1] === 0x44) {
        const routingLen = (this.buffer[4]! << 16) | this.buffer.readUInt16BE(5);
        this.buffer = this.buffer.subarray(7 + routingLen);
      }
      if (!this.buffer.subarray(0, 4).equals(WA_HEADER)) throw new Error('bad intro header');
      this.buffer = this.buffer.subarray(4);
      this.sawIntro = true;
    }
    const frames: Buffer[] = [];
    while (this.buffer.length >= 3) {
      const size = (this.buffer[0]! << 16) | (this.buffer[1]! << 8) | this.buffer[2]!;
      if (this.buffer.length < size + 3) break;
      frames.push(this.buffer.subarray(3, size + 3));
      this.buffer = this.buffer.subarray(size + 3);
    }
    return frames;
  }
}

/** Frames a payload for the client; the server never sends an intro header. */
export const frame = (payload: Uint8Array): Buffer => {
  const out = Buffer.alloc(3 + payload.length);
  out[0] = (payload.length >>> 16) & 0xff;
  out[1] = (payload.length >>> 8) & 0xff;
  out[2] = payload.length & 0xff;
  out.set(payload, 3);
  return out;
};
