import { createHash, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { encryptedStream, getMediaKeys, type MediaType } from '@whiskeysockets/baileys';
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { SimMediaFault } from './media-messages.js';
import { newMessageId, type Phone } from './model.js';

const CERTS = fileURLToPath(new URL('./test-certs/', import.meta.url));
/** The test CA that signed the media server's certificate; clients trust it through NODE_EXTRA_CA_CERTS. */
export const TEST_CA_PATH = join(CERTS, 'ca.pem');

/** WhatsApp's media HMAC is the first 10 bytes of HMAC-SHA256(iv ‖ ciphertext), appended to the ciphertext. */
const MAC_LENGTH = 10;

/** One upload the account's client made. */
export interface UploadRecord {
  type: string;
  bytes: number;
  fileEncSha256: string;
  directPath: string;
  timestamp: number;
}

/** What a contact got after downloading and decrypting a media message. */
export interface DownloadedMedia {
  fileLength: number;
  /** Hex digest of the decrypted bytes. */
  sha256: string;
}

interface Blob {
  file: string;
  bytes: number;
}

/**
 * WhatsApp's media servers on loopback: an HTTPS upload endpoint (Baileys posts
 * to `https://<media_conn host>/mms/<type>/<fileEncSha256>?auth=`) and the
 * download side for the `directPath` it answers. Blobs are media-encrypted
 * files on disk, never held whole in memory.
 */
export class MediaServer {
  private server?: Server;
  private readonly dir = mkdtempSync(join(tmpdir(), 'wa-sim-media-'));
  private readonly blobs = new Map<string, Blob>();
  /** media_conn auth token → the account it was issued to. */
  private readonly auths = new Map<string, Phone>();
  private readonly uploads = new Map<Phone, UploadRecord[]>();
  /** Media messages contacts sent, by message ID: what the phone needs to upload one again. */
  private readonly sentByContacts = new Map<string, { directPath: string; mediaKey: Uint8Array }>();
  /** Paths whose downloads are taken and never answered (`stalled-cdn`); stop() drops them. */
  private readonly stalled = new Set<string>();
  /** Blobs whose path expired, kept for a re-upload. */
  private readonly orphans = new Map<string, Blob>();

  constructor(private readonly host = '127.0.0.1') {}

  async start(): Promise<void> {
    const server = createServer({ cert: readFileSync(join(CERTS, 'media.pem')), key: readFileSync(join(CERTS, 'media-key.pem')) }, (req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, this.host, () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** `host:port`, as media_conn names it (Baileys builds `https://<hostname><path>`). */
  get hostname(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    if (!address) throw new Error('media server not started');
    return `${this.host}:${address.port}`;
  }

  /** The `<media_conn>` answer for an account: its upload auth token and this host. */
  mediaConn(phone: Phone): BinaryNode {
    const auth = randomBytes(24).toString('base64url');
    this.auths.set(auth, phone);
    return {
      tag: 'media_conn',
      attrs: { auth, ttl: '300', auth_ttl: '21600', max_buckets: '12' },
      content: [{ tag: 'host', attrs: { hostname: this.hostname, maxContentLengthBytes: String(2 * 1024 ** 3) } }]
    };
  }

  uploadsOf(phone: Phone): UploadRecord[] {
    return [...(this.uploads.get(phone) ?? [])];
  }

  /**
   * A contact's phone encrypts and uploads a file (Baileys' `encryptedStream`); the message fields that point at it.
   * `fault` plays a faulty sender or CDN (SimMediaFault).
   */
  async uploadFromContact(bytes: Buffer, type: MediaType, fault?: SimMediaFault) {
    const { mediaKey, encFilePath, fileEncSha256: encSha, fileSha256, fileLength } = await encryptedStream(bytes, type);
    const directPath = this.newDirectPath();
    const file = join(this.dir, directPath.split('/').pop()!.split('?')[0]!);
    await rename(encFilePath, file).catch(async () => {
      // Another file system (tmpfs): copy, then drop the original.
      await pipeline(createReadStream(encFilePath), createWriteStream(file));
      rmSync(encFilePath, { force: true });
    });
    let fileEncSha256 = encSha;
    if (fault === 'bad-mac') {
      // The MAC is the file's last byte range: flip its last byte and state the digest of what is stored.
      const stored = readFileSync(file);
      stored[stored.length - 1]! ^= 0xff;
      writeFileSync(file, stored);
      fileEncSha256 = createHash('sha256').update(stored).digest();
    } else if (fault === 'bad-enc-sha256') {
      fileEncSha256 = Buffer.from(encSha);
      fileEncSha256[0]! ^= 0xff;
    } else if (fault === 'stalled-cdn') {
      this.stalled.add(this.pathOf(directPath));
    }
    this.blobs.set(this.pathOf(directPath), { file, bytes: statSync(file).size });
    return { url: `https://${this.hostname}${directPath}`, directPath, mediaKey, fileEncSha256, fileSha256, fileLength };
  }

  /** Remembers a contact's media message, so the phone can upload it again when asked. */
  rememberMessage(messageId: string, directPath: string, mediaKey: Uint8Array): void {
    this.sentByContacts.set(messageId, { directPath, mediaKey });
  }

  /** The CDN forgets the message's current path, as WhatsApp's media URLs expire: a download gets 404. Answers whether it was known. */
  expireMessage(messageId: string): boolean {
    const sent = this.sentByContacts.get(messageId);
    if (!sent) return false;
    const path = this.pathOf(sent.directPath);
    const blob = this.blobs.get(path);
    if (!blob) return false;
    this.orphans.set(path, blob);
    return this.blobs.delete(path);
  }

  /**
   * The phone uploads a message's file again (a media retry): the same encrypted
   * blob under a new path. Undefined when the message is not known (NOT_FOUND).
   */
  reupload(messageId: string): { directPath: string; mediaKey: Uint8Array } | undefined {
    const sent = this.sentByContacts.get(messageId);
    if (!sent) return undefined;
    const blob = this.blobs.get(this.pathOf(sent.directPath)) ?? this.blobByFileOf(sent.directPath);
    if (!blob) return undefined;
    const directPath = this.newDirectPath();
    this.blobs.set(this.pathOf(directPath), blob);
    this.orphans.delete(this.pathOf(sent.directPath));
    sent.directPath = directPath;
    return { directPath, mediaKey: sent.mediaKey };
  }

  private blobByFileOf(directPath: string): Blob | undefined {
    return this.orphans.get(this.pathOf(directPath));
  }

  /**
   * What the contact's phone does with a media message from the client: fetches
   * the blob its `directPath` names, checks the MAC and decrypts it with the keys
   * Baileys derives from `mediaKey` (`getMediaKeys`), hashing the plaintext.
   */
  async download(directPath: string, mediaKey: Uint8Array, type: MediaType): Promise<DownloadedMedia> {
    const blob = this.blobs.get(this.pathOf(directPath));
    if (!blob) throw new Error(`no media at ${directPath}`);
    if (blob.bytes < MAC_LENGTH + 16) throw new Error('media blob too short');
    const { iv, cipherKey, macKey } = await getMediaKeys(mediaKey, type);
    if (!macKey) throw new Error(`no MAC key for ${type}`);
    const handle = await open(blob.file, 'r');
    const mac = Buffer.alloc(MAC_LENGTH);
    try {
      await handle.read(mac, 0, MAC_LENGTH, blob.bytes - MAC_LENGTH);
    } finally {
      await handle.close();
    }
    const hmac = createHmac('sha256', macKey).update(iv);
    const decipher = createDecipheriv('aes-256-cbc', cipherKey, iv);
    const sha256 = createHash('sha256');
    let fileLength = 0;
    const take = (plain: Buffer) => {
      fileLength += plain.length;
      sha256.update(plain);
    };
    for await (const chunk of createReadStream(blob.file, { start: 0, end: blob.bytes - MAC_LENGTH - 1 })) {
      hmac.update(chunk as Buffer);
      take(decipher.update(chunk as Buffer));
    }
    if (!timingSafeEqual(hmac.digest().subarray(0, MAC_LENGTH), mac)) throw new Error('media MAC mismatch');
    take(decipher.final());
    return { fileLength, sha256: sha256.digest('hex') };
  }

  private newDirectPath(): string {
    return `/v/t62.7118-24/${Date.now()}_${newMessageId()}.enc?ccb=11-4&oh=${randomBytes(8).toString('hex')}`;
  }

  private pathOf(pathAndQuery: string): string {
    return pathAndQuery.split('?')[0] ?? pathAndQuery;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `https://${this.hostname}`);
    if (req.method === 'POST' && url.pathname.startsWith('/mms/')) return this.receiveUpload(req, res, url);
    if (req.method === 'GET') return this.serve(req, res, url.pathname);
    res.writeHead(405, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'method not allowed' }));
  }

  private async receiveUpload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const phone = this.auths.get(url.searchParams.get('auth') ?? '');
    if (!phone) {
      req.resume();
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'bad auth' }));
      return;
    }
    const type = url.pathname.split('/')[2] ?? 'unknown';
    const directPath = this.newDirectPath();
    const file = join(this.dir, directPath.split('/').pop()!.split('?')[0]!);
    const encSha = createHash('sha256');
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      encSha.update(chunk);
    });
    await pipeline(req, createWriteStream(file));
    // The path names the SHA-256 of the encrypted file (URL-safe base64): WhatsApp refuses a mismatch.
    const named = decodeURIComponent(url.pathname.split('/')[3] ?? '');
    const digest = encSha.digest();
    if (named !== digest.toString('base64url') && named !== digest.toString('base64')) {
      rmSync(file, { force: true });
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'hash mismatch' }));
      return;
    }
    this.blobs.set(this.pathOf(directPath), { file, bytes });
    const list = this.uploads.get(phone) ?? [];
    list.push({ type, bytes, fileEncSha256: digest.toString('base64'), directPath, timestamp: Date.now() });
    this.uploads.set(phone, list);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: `https://${this.hostname}${directPath}`, direct_path: directPath }));
  }

  /** The encrypted blob, whole or the byte range asked for (Baileys asks for ranges when it wants a slice). */
  private async serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (this.stalled.has(path)) return;
    const blob = this.blobs.get(path);
    if (!blob) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
      return;
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Math.min(Number(range[2]), blob.bytes - 1) : blob.bytes - 1;
    if (start > end) {
      res.writeHead(416, { 'content-range': `bytes */${blob.bytes}` }).end();
      return;
    }
    res.writeHead(range ? 206 : 200, {
      'content-type': 'application/octet-stream',
      'content-length': String(end - start + 1),
      ...(range ? { 'content-range': `bytes ${start}-${end}/${blob.bytes}` } : {})
    });
    await pipeline(createReadStream(blob.file, { start, end }), res);
  }
}
