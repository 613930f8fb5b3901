import { Type } from 'typebox';
import { InstanceName, MessageId } from './common.js';

/** The media kinds the hub sends and serves; a voice note is `audio` with `ptt: true`. */
export const MEDIA_TYPES = ['image', 'video', 'audio', 'document', 'sticker'] as const;
export const MediaType = Type.Enum(MEDIA_TYPES, { description: 'image, video, audio (voice note: ptt), document or sticker' });

/**
 * `body.media` of a media message: where the hub serves its bytes and what they
 * are. `url` is the hub's own path (authorized like every route); no key material,
 * no WhatsApp URL. `sha256` is the hex digest of the plaintext.
 */
export const MediaInfo = Type.Object({
  url: Type.String(),
  mimetype: Type.String(),
  fileLength: Type.Integer({ minimum: 0 }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' })
});

/** What to send: the file as an http(s) URL the hub fetches, base64, or a data URL; a multipart `file` part takes its place on REST. */
export const MediaInput = {
  mediatype: MediaType,
  media: Type.Optional(Type.String({ minLength: 1, description: 'http(s) URL, base64 or data: URL (omit when a multipart file part is sent)' })),
  mimetype: Type.Optional(Type.String({ minLength: 3, maxLength: 255, pattern: '^[\\w.+-]+/[\\w.+-]+' })),
  caption: Type.Optional(Type.String({ maxLength: 65536 })),
  fileName: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  ptt: Type.Optional(Type.Boolean({ description: 'audio only: send as a voice note' }))
};

/** A bulk send's media: the same fields as message.sendMedia; the file is fetched and stored once at queue.create. */
export const QueueMediaInput = Type.Object({ ...MediaInput, media: Type.String({ minLength: 1 }) }, { additionalProperties: false });

const Recipient = Type.String({ minLength: 3, maxLength: 128, pattern: '^(\\+?[0-9 ()-]{6,32}|[^@\\s]+@(s\\.whatsapp\\.net|lid|g\\.us))$' });

/** message.sendMedia and media.url. */
export const MediaCommandSchemas = {
  /** Sends an image, video, audio or voice note, document or sticker. */
  'message.sendMedia': {
    args: Type.Object({ instance: InstanceName, number: Recipient, ...MediaInput }, { additionalProperties: false }),
    result: Type.Object({
      key: Type.Object({ id: MessageId, remoteJid: Type.String(), fromMe: Type.Boolean() }),
      status: Type.String(),
      media: MediaInfo
    })
  },
  /** A short-lived signed URL for a message's media, usable without the API key (an `<img src>`, a webhook consumer). */
  'media.url': {
    args: Type.Object(
      { instance: InstanceName, messageId: MessageId, expiresIn: Type.Optional(Type.Integer({ minimum: 1, maximum: 604_800, description: 'seconds' })) },
      { additionalProperties: false }
    ),
    result: Type.Object({ url: Type.String(), expires: Type.Integer({ description: 'Unix seconds' }) })
  }
} as const;
