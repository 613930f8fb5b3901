import makeWASocket, { proto as waProto, WA_CERT_DETAILS, type AuthenticationState, type GroupMetadata, type MessageUpsertType, type WAMessage, type WAMessageKey, type proto, type WASocket } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { ProxyAgents } from './proxy-agent.js';
import { UploadCache } from '../media/upload-cache.js';
import { cacheCertificateChecks } from './certificate-check-cache.js';

export interface WaSocketOptions {
  auth: AuthenticationState;
  logger: Logger;
  /** WhatsApp's WebSocket URL; Baileys' default when unset. */
  url?: string;
  qrTimeoutMs?: number;
  /** Baileys asks for a message it sent when a contact requests a retry; served from the store. */
  getMessage(key: WAMessageKey): Promise<proto.IMessage | undefined>;
  /** The stored metadata of a group, so a group send does not ask WhatsApp for its members each time. */
  cachedGroupMetadata(jid: string): Promise<GroupMetadata | undefined>;
  /**
   * Awaited with each inbound message before Baileys sends its delivery receipt; when it
   * throws, nothing is sent and WhatsApp delivers the message again on the next connection.
   * A hook of our patch to the pinned Baileys (patches/): unpatched, Baileys receipts a
   * message before it emits `messages.upsert`, so a crash in between loses a message
   * WhatsApp will never redeliver.
   */
  beforeMessageReceipt(msg: WAMessage, type: MessageUpsertType): Promise<void>;
  /** The WhatsApp Web version to announce; Baileys' pinned one when unset. */
  version?: [number, number, number];
  /** The instance's proxy: the WebSocket and media uploads go through it. */
  agents?: ProxyAgents;
  /** Shown as online when the connection opens (`alwaysOnline`). */
  markOnline?: boolean;
  /**
   * `syncFullHistory`: asked for at pairing (the registration tells the phone), and read
   * live for each FULL history chunk, which Baileys drops by default.
   */
  fullHistory?: () => boolean;
}

let rootKeyApplied: string | undefined;

/**
 * Points Baileys' certificate check at another root (hex). Set once per process,
 * before any socket exists: the key is a module-level value inside Baileys.
 * Overwriting the Buffer's bytes also works if Baileys ever freezes the object.
 * Baileys 7.0.0-rc14 ignores the check's result (libsignal returns false, Baileys
 * only catches throws), so this verifies nothing until Baileys does.
 */
export function applyRootPublicKey(hex: string | undefined): void {
  if (!hex || rootKeyApplied === hex) return;
  const key = Buffer.from(hex, 'hex');
  try {
    WA_CERT_DETAILS.PUBLIC_KEY = key;
  } catch {
    WA_CERT_DETAILS.PUBLIC_KEY.set(key);
  }
  rootKeyApplied = hex;
}

/** The only place the hub calls `makeWASocket`. */
export function createWaSocket(opts: WaSocketOptions): WASocket {
  cacheCertificateChecks();
  return makeWASocket({
    auth: opts.auth,
    logger: opts.logger,
    ...(opts.url ? { waWebSocketUrl: opts.url } : {}),
    ...(opts.version ? { version: opts.version } : {}),
    ...(opts.agents ? { agent: opts.agents.agent, fetchAgent: opts.agents.fetchAgent } : {}),
    qrTimeout: opts.qrTimeoutMs,
    browser: ['wahub', 'Chrome', '1.0.0'],
    markOnlineOnConnect: opts.markOnline ?? false,
    syncFullHistory: opts.fullHistory?.() ?? false,
    shouldSyncHistoryMessage: ({ syncType }) => syncType !== waProto.HistorySync.HistorySyncType.FULL || (opts.fullHistory?.() ?? false),
    getMessage: opts.getMessage,
    cachedGroupMetadata: opts.cachedGroupMetadata,
    beforeMessageReceipt: opts.beforeMessageReceipt,
    mediaCache: new UploadCache()
  });
}
