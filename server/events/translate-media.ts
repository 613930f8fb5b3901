import { isJidStatusBroadcast, jidNormalizedUser, type proto, type WAMessage } from '@whiskeysockets/baileys';
import type { Static } from 'typebox';
import type { MEDIA_TYPES, MediaInfo } from '../../protocol/index.js';
import { contentOf, toNumber, type MessageItemData } from './message-shape.js';
import type { TranslateContext } from './translate-context.js';

export type MediaTypeName = (typeof MEDIA_TYPES)[number];
type MediaInfoData = Static<typeof MediaInfo>;

/** Baileys' content type of each media message, as the hub names the kind. */
const KINDS: Record<string, MediaTypeName> = {
  imageMessage: 'image',
  videoMessage: 'video',
  audioMessage: 'audio',
  documentMessage: 'document',
  stickerMessage: 'sticker'
};

/** What opens or locates the file on WhatsApp's servers: never sent to clients (EVENTS.md). */
const KEY_MATERIAL = [
  'url',
  'directPath',
  'mediaKey',
  'mediaKeyTimestamp',
  'mediaKeyDomain',
  'fileEncSha256',
  'staticUrl',
  'streamingSidecar',
  'thumbnailDirectPath',
  'thumbnailSha256',
  'thumbnailEncSha256',
  'midQualityFileSha256',
  'midQualityFileEncSha256'
];

type MediaContent = proto.Message.IImageMessage & proto.Message.IDocumentMessage & proto.Message.IAudioMessage;

/** The media content of a message, unwrapped, with its kind; undefined for anything else. */
export function mediaContentOf(msg: WAMessage): { kind: MediaTypeName; content: MediaContent } | undefined {
  const c = contentOf(msg);
  const kind = c ? KINDS[c.type] : undefined;
  const content = c && kind ? ((c.content as Record<string, unknown>)[c.type] as MediaContent | null | undefined) : undefined;
  return kind && content ? { kind, content } : undefined;
}

/** The hub's own path for a message's bytes. */
export const mediaPath = (instanceName: string, messageId: string): string =>
  `/media/${encodeURIComponent(instanceName)}/${encodeURIComponent(messageId)}`;

const hex = (v: Uint8Array | string | null | undefined): string | undefined =>
  v === null || v === undefined ? undefined : (typeof v === 'string' ? Buffer.from(v, 'base64') : Buffer.from(v)).toString('hex');

/** `body.media` for a media message that states its digest; undefined otherwise. */
export function mediaInfoOf(instanceName: string, msg: WAMessage): (MediaInfoData & { kind: MediaTypeName }) | undefined {
  const found = mediaContentOf(msg);
  const sha256 = hex(found?.content.fileSha256);
  if (!found || !sha256 || sha256.length !== 64) return undefined;
  return {
    kind: found.kind,
    url: mediaPath(instanceName, msg.key.id ?? ''),
    mimetype: found.content.mimetype ?? 'application/octet-stream',
    fileLength: toNumber(found.content.fileLength),
    sha256
  };
}

/** The item with `body.media` and without key material in `body.message`. */
export function withMedia(instanceName: string, msg: WAMessage, item: MessageItemData): MessageItemData {
  const info = mediaInfoOf(instanceName, msg);
  if (!info) return item;
  const { kind: _kind, ...media } = info;
  const message = item.body.message && typeof item.body.message === 'object' ? { ...item.body.message } : item.body.message;
  if (message && typeof message === 'object') for (const field of KEY_MATERIAL) delete message[field];
  return { ...item, body: { ...item.body, message, media } };
}

/** Records a media message so GET /media can find it; the downloader fills in the bytes after the commit. */
export function registerMedia(ctx: TranslateContext, msg: WAMessage, item: MessageItemData): void {
  const info = mediaInfoOf(ctx.instanceName, msg);
  if (!info) return;
  const remote = msg.key.remoteJid ?? '';
  ctx.storage.media.register({
    instance_id: ctx.instanceId,
    message_id: item.header.messageId,
    // The chat the message is stored under (translate-messages' storedChat), to load it back for a download.
    chat_jid: isJidStatusBroadcast(remote) ? jidNormalizedUser(remote) : item.header.wuid,
    from_me: item.header.fromMe ? 1 : 0,
    media_type: info.kind,
    mimetype: info.mimetype,
    file_length: info.fileLength,
    sha256: info.sha256,
    stored: false
  });
}
