import { aesDecryptGCM, aesEncryptGCM, getBinaryNodeChild, getBinaryNodeChildBuffer, hkdf, proto, type BinaryNode } from '@whiskeysockets/baileys';
import { randomBytes } from 'node:crypto';
import type { MediaServer } from './media-server.js';

/** Baileys' getMediaRetryKey, which it does not export. */
const retryKey = (mediaKey: Uint8Array) => hkdf(mediaKey, 32, { info: 'WhatsApp Media Retry Notification' });

/**
 * The phone's answer to a media retry request (Baileys' `updateMediaMessage`: a
 * `server-error` receipt): it uploads the file again and tells the client the new
 * path in a `mediaretry` notification, AES-GCM under the key derived from the
 * message's media key with the message ID as associated data. A message the phone
 * does not have gets NOT_FOUND. Undefined for any other receipt.
 */
export function answerMediaRetry(media: MediaServer, receipt: BinaryNode): BinaryNode | undefined {
  if (receipt.attrs.type !== 'server-error') return undefined;
  const id = receipt.attrs.id ?? '';
  const rmr = getBinaryNodeChild(receipt, 'rmr');
  const again = media.reupload(id);
  const notification = (content: BinaryNode[]): BinaryNode => ({
    tag: 'notification',
    attrs: { from: receipt.attrs.to ?? 's.whatsapp.net', type: 'mediaretry', id, t: String(Math.floor(Date.now() / 1000)) },
    content: [...content, { tag: 'rmr', attrs: { ...(rmr?.attrs ?? {}) } }]
  });
  if (!again) return notification([{ tag: 'error', attrs: { code: String(proto.MediaRetryNotification.ResultType.NOT_FOUND) } }]);
  // The request is encrypted with the same key: reading it proves the client holds the media key.
  const enc = getBinaryNodeChild(receipt, 'encrypt');
  const p = getBinaryNodeChildBuffer(enc, 'enc_p');
  const ivIn = getBinaryNodeChildBuffer(enc, 'enc_iv');
  if (!p || !ivIn) return notification([{ tag: 'error', attrs: { code: String(proto.MediaRetryNotification.ResultType.DECRYPTION_ERROR) } }]);
  try {
    const asked = proto.ServerErrorReceipt.decode(aesDecryptGCM(p, retryKey(again.mediaKey), ivIn, Buffer.from(id)));
    if (asked.stanzaId !== id) throw new Error('stanza mismatch');
  } catch {
    return notification([{ tag: 'error', attrs: { code: String(proto.MediaRetryNotification.ResultType.DECRYPTION_ERROR) } }]);
  }
  const plain = proto.MediaRetryNotification.encode({ stanzaId: id, directPath: again.directPath, result: proto.MediaRetryNotification.ResultType.SUCCESS }).finish();
  const iv = randomBytes(12);
  const ciphertext = aesEncryptGCM(plain, retryKey(again.mediaKey), iv, Buffer.from(id));
  return notification([
    {
      tag: 'encrypt',
      attrs: {},
      content: [
        { tag: 'enc_p', attrs: {}, content: ciphertext },
        { tag: 'enc_iv', attrs: {}, content: iv }
      ]
    }
  ]);
}
