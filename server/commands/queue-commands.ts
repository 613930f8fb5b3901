import { checkMediaFields, mimetypeFor } from '../media/media-content.js';
import type { MediaService } from '../media/media-service.js';
import type { QueueManager } from '../queue/queue-manager.js';
import type { QueueMessage } from '../queue/queue-message.js';
import type { CommandHandlers } from './command-layer.js';

/** queue.*: bulk sends and their manager. */
export function queueCommands(queues: QueueManager, media: MediaService): Pick<CommandHandlers, 'queue.create' | 'queue.pause' | 'queue.resume' | 'queue.delete' | 'queue.get' | 'queue.list'> {
  return {
    'queue.create': async ({ instance, numbers, message, options }) => {
      if (!('media' in message)) return queues.create(instance, numbers, message, options);
      // Taken in once, before the queue exists: every recipient sends this file, and a bad source fails the call.
      const { media: source, ...fields } = message.media;
      checkMediaFields(fields);
      const file = await media.ingest(source);
      const fileName = fields.mediatype === 'document' ? (fields.fileName ?? file.fileName) : fields.fileName;
      const queued: QueueMessage = {
        media: { ...fields, ...(fileName ? { fileName } : {}), mimetype: mimetypeFor(fields, file.mimetype), sha256: file.sha256, fileLength: file.bytes }
      };
      try {
        return queues.create(instance, numbers, queued, options);
      } catch (err) {
        media.discard(file);
        throw err;
      }
    },
    'queue.pause': ({ instance, queueId }) => queues.pause(instance, queueId),
    'queue.resume': ({ instance, queueId }) => queues.resume(instance, queueId),
    'queue.delete': ({ instance, queueId }) => queues.delete(instance, queueId),
    'queue.get': ({ instance, queueId }) => queues.get(instance, queueId),
    'queue.list': ({ instance }) => queues.list(instance)
  };
}
