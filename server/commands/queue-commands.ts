import type { QueueManager } from '../queue/queue-manager.js';
import type { CommandHandlers } from './command-layer.js';

/** queue.*: bulk sends and their manager. */
export function queueCommands(queues: QueueManager): Pick<CommandHandlers, 'queue.create' | 'queue.pause' | 'queue.resume' | 'queue.delete' | 'queue.get' | 'queue.list'> {
  return {
    'queue.create': ({ instance, numbers, message, options }) => queues.create(instance, numbers, message, options),
    'queue.pause': ({ instance, queueId }) => queues.pause(instance, queueId),
    'queue.resume': ({ instance, queueId }) => queues.resume(instance, queueId),
    'queue.delete': ({ instance, queueId }) => queues.delete(instance, queueId),
    'queue.get': ({ instance, queueId }) => queues.get(instance, queueId),
    'queue.list': ({ instance }) => queues.list(instance)
  };
}
