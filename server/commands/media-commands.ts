import type { Storage } from '../../storage/index.js';
import { Errors } from '../errors.js';
import { mediaPath } from '../events/translate-media.js';
import type { InstanceRegistry } from '../instances/instance-registry.js';
import { checkMediaFields, mediaContent, mimetypeFor } from '../media/media-content.js';
import type { MediaService } from '../media/media-service.js';
import type { MediaSigner } from '../media/media-signing.js';
import type { SendScheduler } from '../queue/send-scheduler.js';
import type { CommandHandlers } from './command-layer.js';
import { openSocket, recipient, singleSender } from './message-commands.js';

/** message.sendMedia and media.url. */
export function mediaCommands(
  registry: InstanceRegistry,
  storage: Storage,
  scheduler: SendScheduler,
  media: MediaService,
  signer: MediaSigner,
  urlTtlSeconds: number
): Pick<CommandHandlers, 'message.sendMedia' | 'media.url'> {
  const send = singleSender(registry, storage, scheduler);
  return {
    'message.sendMedia': async (args, _principal, attachment) => {
      checkMediaFields(args);
      if (attachment && args.media !== undefined) throw new Errors.badRequest('give media or a file part, not both');
      if (!attachment && args.media === undefined) throw new Errors.badRequest('media is required: an http(s) URL, base64, a data: URL, or a multipart file part');
      const sock = openSocket(registry, args.instance);
      const jid = await recipient(sock, args.number);
      const file = attachment?.file ?? (await media.ingest(args.media!));
      const mimetype = mimetypeFor(args, file.mimetype);
      const fields = args.mediatype === 'document' && !args.fileName && file.fileName ? { ...args, fileName: file.fileName } : args;
      // A refused send leaves no file behind (the transport discards a multipart file itself).
      const sent = await send(args.instance, sock, jid, mediaContent(fields, file, mimetype)).catch((err: unknown) => {
        if (!attachment) media.discard(file);
        throw err;
      });
      return { ...sent, media: { url: mediaPath(args.instance, sent.key.id), mimetype, fileLength: file.bytes, sha256: file.sha256 } };
    },
    'media.url': ({ instance, messageId, expiresIn }) => {
      const id = registry.get(instance).row.id;
      if (!storage.media.get(id, messageId)) throw new Errors.mediaNotFound(messageId);
      const expires = Math.floor(Date.now() / 1000) + (expiresIn ?? urlTtlSeconds);
      return { url: `${mediaPath(instance, messageId)}?expires=${expires}&sig=${signer.sign(instance, messageId, expires)}`, expires };
    }
  };
}
