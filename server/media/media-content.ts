import type { AnyMessageContent } from '@whiskeysockets/baileys';
import { Errors } from '../errors.js';
import type { MediaTypeName } from '../events/translate-media.js';
import type { StoredFile } from './media-store.js';

/** What a send says about its file, besides the bytes. */
export interface MediaSendFields {
  mediatype: MediaTypeName;
  mimetype?: string;
  caption?: string;
  fileName?: string;
  ptt?: boolean;
}

/** Used when neither the caller nor the source names a type: what WhatsApp's own clients send. */
const DEFAULT_MIMETYPE: Record<MediaTypeName, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/mpeg',
  document: 'application/octet-stream',
  sticker: 'image/webp'
};

/** The mimetype a send goes out with: the caller's, else what the source said, else the kind's usual one. */
export function mimetypeFor(fields: MediaSendFields, detected?: string): string {
  if (fields.mimetype) return fields.mimetype;
  if (detected) return detected;
  return fields.mediatype === 'audio' && fields.ptt ? 'audio/ogg; codecs=opus' : DEFAULT_MIMETYPE[fields.mediatype];
}

/** Refusals that need no file: fields that do not fit the kind. */
export function checkMediaFields(fields: MediaSendFields): void {
  if (fields.ptt !== undefined && fields.mediatype !== 'audio') throw new Errors.badRequest('ptt is for audio only');
  if (fields.caption !== undefined && (fields.mediatype === 'audio' || fields.mediatype === 'sticker')) {
    throw new Errors.badRequest(`a ${fields.mediatype} has no caption`);
  }
  if (fields.fileName !== undefined && fields.mediatype !== 'document') throw new Errors.badRequest('fileName is for documents only');
}

/**
 * Baileys content for a stored file. Baileys reads it from the store's path as a
 * stream (`{url: path}`), so the file is never held whole in memory, and the
 * path, being the content's digest, is the key of the upload cache that lets a
 * bulk send upload it once for every recipient.
 */
export function mediaContent(fields: MediaSendFields, file: StoredFile, mimetype: string): AnyMessageContent {
  const source = { url: file.path };
  switch (fields.mediatype) {
    case 'image':
      return { image: source, mimetype, caption: fields.caption };
    case 'video':
      return { video: source, mimetype, caption: fields.caption };
    case 'audio':
      return { audio: source, mimetype, ptt: fields.ptt ?? false };
    case 'document':
      return { document: source, mimetype, fileName: fields.fileName ?? 'file', caption: fields.caption };
    case 'sticker':
      return { sticker: source, mimetype };
  }
}
