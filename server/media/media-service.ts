import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { MediaType, WAMessage, WASocket } from '@whiskeysockets/baileys';
import PQueue from 'p-queue';
import type { Logger } from 'pino';
import type { EventEnvelope } from '../../protocol/index.js';
import type { MediaRow, Storage } from '../../storage/index.js';
import type { Config } from '../config.js';
import { Errors } from '../errors.js';
import type { EventSink, EventSource } from '../events/event-pipeline.js';
import { mediaContentOf } from '../events/translate-media.js';
import { proxyAgent } from '../instances/proxy-agent.js';
import { downloadMedia, MediaDownloadError } from './media-download.js';
import { openMediaSource } from './media-source.js';
import { MediaStore, type StoredFile } from './media-store.js';

type MediaConfig = Pick<
  Config,
  'DATA_DIR' | 'MEDIA_DOWNLOAD' | 'MEDIA_MAX_BYTES' | 'MEDIA_RETENTION_DAYS' | 'MEDIA_FETCH_TIMEOUT_MS' | 'MEDIA_FETCH_ALLOW_PRIVATE'
>;

/** A file taken in for a send, with what its source said about it. */
export interface IngestedFile extends StoredFile {
  mimetype?: string;
  fileName?: string;
}

/** Events whose items may carry `body.media`. */
const WITH_MESSAGES = new Set(['new.message', 'status.broadcast', 'messages.set']);

/** WhatsApp's CDN answers these for a URL that expired; the phone can upload the file again. */
const EXPIRED = new Set([403, 404, 410]);

const statusOf = (err: unknown): number | undefined => (err instanceof MediaDownloadError ? err.httpStatus : undefined);

/** A CDN that accepts the connection but stalls is given up on; WhatsApp's CDN answers in well under a second. */
const CONNECT_TIMEOUT_MS = 15_000;
const IDLE_TIMEOUT_MS = 30_000;

/** What the media service needs of an instance: its socket for re-uploads, its proxy for downloads. */
export interface MediaInstances {
  socketOf(instance: string): WASocket | undefined;
  /** The proxy URL the instance's connections go through, null for none. */
  proxyOf(instance: string): string | null;
  /** A write of the instance's media rows: fenced when this node holds the instance. */
  write<T>(instanceId: string, fn: () => T): T;
}

/**
 * Media in and out of the store: files given to a send (URL, base64, data URL
 * or a multipart stream), and files WhatsApp holds for received messages,
 * downloaded and decrypted (media-download.ts) right after their event is stored
 * (MEDIA_DOWNLOAD=eager) or on the first request for them (lazy).
 */
export class MediaService {
  readonly store: MediaStore;
  /** A few downloads at a time: each is a stream from WhatsApp to disk. */
  private readonly downloads = new PQueue({ concurrency: 2 });
  private readonly inFlight = new Map<string, Promise<MediaRow>>();
  /** Aborts every request still open when the hub stops. */
  private readonly stopping = new AbortController();
  /** No keep-alive: an idle CDN connection would hold the hub's close, and downloads are rare enough. */
  private readonly direct = { http: new HttpAgent({ keepAlive: false }), https: new HttpsAgent({ keepAlive: false }) };
  private closed = false;

  constructor(
    readonly storage: Storage,
    private readonly config: MediaConfig,
    private readonly instances: MediaInstances,
    private readonly log: Logger
  ) {
    this.store = new MediaStore(config.DATA_DIR);
  }

  get maxBytes(): number {
    return this.config.MEDIA_MAX_BYTES;
  }

  /** Takes in the file a send names; refusals are 400 (bad source) or 413 (too large). */
  async ingest(media: string): Promise<IngestedFile> {
    const source = await openMediaSource(media, {
      timeoutMs: this.config.MEDIA_FETCH_TIMEOUT_MS,
      maxBytes: this.config.MEDIA_MAX_BYTES,
      allowPrivate: this.config.MEDIA_FETCH_ALLOW_PRIVATE
    });
    const file = await this.store.put(source.stream, { maxBytes: this.config.MEDIA_MAX_BYTES }).catch((err: Error & { statusCode?: number }) => {
      if (err.statusCode) throw err;
      const reason = err.name === 'TimeoutError' || err.name === 'AbortError' ? `timed out after ${this.config.MEDIA_FETCH_TIMEOUT_MS} ms` : err.message;
      throw new Errors.badRequest(`media could not be read: ${reason}`);
    });
    if (!file.bytes) throw new Errors.badRequest('media is empty');
    return { ...file, mimetype: source.mimetype, fileName: source.fileName };
  }

  /**
   * A file taken in for a send that then failed: removed when this send put it in
   * the store and no message names it, so refused sends leave nothing behind.
   */
  discard(file: StoredFile): void {
    if (file.created && !this.storage.media.names(file.sha256)) this.store.remove([file.sha256]);
  }

  /** After each commit: stored media messages get their bytes (own sends are already in the store). */
  readonly sink: EventSink = {
    name: 'media',
    publish: (source: EventSource, envelope: EventEnvelope) => {
      if (envelope.event === 'messages.delete') return this.forget(source.id, envelope.data);
      if (!WITH_MESSAGES.has(envelope.event)) return;
      const items = (Array.isArray(envelope.data) ? envelope.data : [envelope.data]) as { header?: { messageId?: string }; body?: { media?: unknown } }[];
      for (const item of items) {
        const id = item.header?.messageId;
        if (!id || !item.body?.media) continue;
        const row = this.storage.media.get(source.id, id);
        if (!row || row.stored_at !== null) continue;
        if (this.store.has(row.sha256)) {
          // A refusal is this node's lost lease (it steps down); the next holder marks the file.
          this.markStored(source.id, id).catch(err => this.log.warn({ err, instance: source.ref.name, messageId: id }, 'media not marked stored'));
          continue;
        }
        if (this.config.MEDIA_DOWNLOAD !== 'eager' || row.file_length > this.config.MEDIA_MAX_BYTES) continue;
        this.ensureStored(source.ref.name, row).catch(err => this.log.warn({ err, instance: source.ref.name, messageId: id }, 'media download failed'));
      }
    }
  };

  /**
   * A deleted message (revoked, deleted for me, its chat cleared) takes its media
   * with it: the row, and the file when no other message has the same bytes.
   */
  private forget(instanceId: string, data: EventEnvelope['data']): void {
    const deleted = data as { messageId: string }[] | { wuid: string; all: true };
    const unused = Array.isArray(deleted)
      ? deleted.flatMap(d => this.storage.media.forget(instanceId, d.messageId) ?? [])
      : this.storage.media.forgetChat(instanceId, deleted.wuid);
    this.store.remove(unused);
  }

  /**
   * The row with its bytes on disk: downloads them now if they are not (once per
   * message however many ask). Refusals: 404 when downloads are off, 413 past MEDIA_MAX_BYTES,
   * 502 when WhatsApp cannot give the file.
   */
  ensureStored(instance: string, row: MediaRow): Promise<MediaRow> {
    if (row.stored_at !== null && this.store.has(row.sha256)) return Promise.resolve(row);
    if (this.store.has(row.sha256)) return this.markStored(row.instance_id, row.message_id).then(() => ({ ...row, stored_at: Date.now() }));
    if (this.config.MEDIA_DOWNLOAD === 'off') return Promise.reject(new Errors.mediaNotFound(`${row.message_id} (MEDIA_DOWNLOAD=off)`));
    if (row.file_length > this.config.MEDIA_MAX_BYTES) return Promise.reject(new Errors.mediaTooLarge(this.config.MEDIA_MAX_BYTES));
    const key = `${row.instance_id}:${row.message_id}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const job = this.downloads
      .add(() => this.download(instance, row))
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, job);
    return job;
  }

  private async download(instance: string, row: MediaRow): Promise<MediaRow> {
    if (this.closed) throw new Errors.mediaUnavailable('the hub is stopping');
    const stored = this.storage.messages.get(row.instance_id, row.chat_jid, row.message_id, row.from_me === 1);
    if (!stored) throw new Errors.mediaNotFound(row.message_id);
    try {
      await this.fetchInto(instance, stored.message, row);
    } catch (err) {
      if (!EXPIRED.has(statusOf(err) ?? 0)) throw new Errors.mediaUnavailable((err as Error).message);
      // The URL expired: the phone is asked to upload the file again, and the message takes its new path.
      const sock = this.instances.socketOf(instance);
      if (!sock) throw new Errors.notConnected(instance, 'not open');
      // Baileys builds the new URL on the media host that media_conn named, which it asks for only before an
      // upload; without it a socket that never sent media would point the new path at its default host.
      await sock.refreshMediaConn(false).catch(() => undefined);
      // The store gives the media key back as base64 text; Baileys' retry request derives its key from raw bytes.
      const content = mediaContentOf(stored.message)?.content;
      if (content && typeof content.mediaKey === 'string') content.mediaKey = Buffer.from(content.mediaKey, 'base64');
      const updated = await sock.updateMediaMessage(stored.message).catch((e: Error) => {
        throw new Errors.mediaUnavailable(`re-upload failed: ${e.message}`);
      });
      this.instances.write(row.instance_id, () => this.storage.messages.upsert(row.instance_id, { ...stored, message: updated }));
      await this.fetchInto(instance, updated, row).catch((e: Error) => {
        throw new Errors.mediaUnavailable(e.message);
      });
    }
    await this.markStored(row.instance_id, row.message_id);
    return { ...row, stored_at: Date.now() };
  }

  /** The stored flag, fenced like the instance's other writes; a refusal rejects (HUB_OTHER_NODE) instead of throwing. */
  private markStored(instanceId: string, messageId: string): Promise<void> {
    try {
      this.instances.write(instanceId, () => this.storage.media.markStored(instanceId, messageId));
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Downloads through the instance's proxy, checking the encrypted file's digest and MAC
   * as it decrypts; the store checks the plaintext's digest the message states.
   */
  private async fetchInto(instance: string, msg: WAMessage, row: MediaRow): Promise<void> {
    const found = mediaContentOf(msg);
    if (!found) throw new Error('the stored message has no media');
    const proxy = this.instances.proxyOf(instance);
    // One proxy agent per download, destroyed after it: the proxy can change between two.
    const agent = proxy ? proxyAgent(proxy) : undefined;
    try {
      const stream = await downloadMedia(found.content, found.kind as MediaType, {
        agentFor: protocol => agent ?? this.direct[protocol === 'http:' ? 'http' : 'https'],
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
        idleTimeoutMs: IDLE_TIMEOUT_MS,
        signal: this.stopping.signal
      });
      await this.store.put(stream, { maxBytes: this.config.MEDIA_MAX_BYTES, expectSha256: row.sha256 });
    } finally {
      agent?.destroy();
    }
  }

  /** MEDIA_RETENTION_DAYS: rows past it go, and files no remaining row names. */
  prune(now = Date.now()): number {
    if (!(this.config.MEDIA_RETENTION_DAYS > 0)) return 0;
    const unused = this.storage.media.pruneBefore(now - this.config.MEDIA_RETENTION_DAYS * 86_400_000);
    this.store.remove(unused);
    return unused.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.downloads.clear();
    this.stopping.abort();
    await this.downloads.onIdle();
    this.direct.http.destroy();
    this.direct.https.destroy();
  }
}
