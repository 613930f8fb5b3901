import { normalizeMessageContent, proto, type MediaType } from '@whiskeysockets/baileys';
import type { MediaServer } from './media-server.js';

/** The media kinds a contact can send, as the control API names them. */
export const SIM_MEDIA_TYPES = ['image', 'video', 'audio', 'document', 'sticker'] as const;
export type SimMediaType = (typeof SIM_MEDIA_TYPES)[number];

/**
 * Faults a download can meet, for the client's checks: `bad-mac`, a file whose MAC is wrong
 * (its fileEncSha256 states the file as stored); `bad-enc-sha256`, a message stating a digest
 * that is not the stored file's; `stalled-cdn`, a CDN that takes the request and never answers.
 */
export const SIM_MEDIA_FAULTS = ['bad-mac', 'bad-enc-sha256', 'stalled-cdn'] as const;
export type SimMediaFault = (typeof SIM_MEDIA_FAULTS)[number];

/** A file a contact sends: the bytes and what WhatsApp shows with them. */
export interface SimMediaSpec {
  type: SimMediaType;
  base64: string;
  mimetype: string;
  caption?: string;
  fileName?: string;
  /** Audio only: a voice note rather than an audio file. */
  ptt?: boolean;
  fault?: SimMediaFault;
}

/** What a contact received in a media message, after downloading and decrypting it. */
export interface OutboxMedia {
  type: SimMediaType;
  mimetype: string | null;
  fileLength: number;
  /** Hex SHA-256 of the decrypted bytes the contact downloaded. */
  sha256: string;
  caption: string | null;
  fileName: string | null;
  ptt: boolean;
}

type MediaContent = proto.Message.IImageMessage &
  proto.Message.IVideoMessage &
  proto.Message.IAudioMessage &
  proto.Message.IDocumentMessage &
  proto.Message.IStickerMessage;

const FIELD: Record<SimMediaType, 'imageMessage' | 'videoMessage' | 'audioMessage' | 'documentMessage' | 'stickerMessage'> = {
  image: 'imageMessage',
  video: 'videoMessage',
  audio: 'audioMessage',
  document: 'documentMessage',
  sticker: 'stickerMessage'
};

/** The contact's phone uploads the file, then builds the message that points at it, as WhatsApp's clients do. */
export async function contactMediaMessage(media: MediaServer, spec: SimMediaSpec): Promise<proto.IMessage> {
  const bytes = Buffer.from(spec.base64, 'base64');
  const upload = await media.uploadFromContact(bytes, spec.type as MediaType, spec.fault);
  const content: MediaContent = {
    url: upload.url,
    directPath: upload.directPath,
    mediaKey: upload.mediaKey,
    fileEncSha256: upload.fileEncSha256,
    fileSha256: upload.fileSha256,
    fileLength: upload.fileLength,
    mimetype: spec.mimetype,
    mediaKeyTimestamp: Math.floor(Date.now() / 1000),
    ...(spec.caption !== undefined && spec.type !== 'audio' && spec.type !== 'sticker' ? { caption: spec.caption } : {}),
    ...(spec.type === 'document' ? { fileName: spec.fileName ?? 'file' } : {}),
    ...(spec.type === 'audio' ? { ptt: spec.ptt ?? false } : {})
  };
  return { [FIELD[spec.type]]: content };
}

/** The media content of a message the client sent, unwrapped (ephemeral, view once, document with caption). */
export function mediaContentOf(message: proto.IMessage): { type: SimMediaType; content: MediaContent } | undefined {
  const inner = normalizeMessageContent(message);
  if (!inner) return undefined;
  for (const type of SIM_MEDIA_TYPES) {
    const content = inner[FIELD[type]] as MediaContent | null | undefined;
    if (content) return { type, content };
  }
  return undefined;
}

/** The contact downloads what the client sent and records what it got. */
export async function receiveMedia(media: MediaServer, message: proto.IMessage): Promise<OutboxMedia | undefined> {
  const found = mediaContentOf(message);
  if (!found) return undefined;
  const { type, content } = found;
  if (!content.directPath || !content.mediaKey) throw new Error(`${type} message without directPath or mediaKey`);
  const got = await media.download(content.directPath, content.mediaKey, type as MediaType);
  return {
    type,
    mimetype: content.mimetype ?? null,
    fileLength: got.fileLength,
    sha256: got.sha256,
    caption: content.caption ?? null,
    fileName: content.fileName ?? null,
    ptt: content.ptt ?? false
  };
}
