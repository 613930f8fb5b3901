import type { Static } from 'typebox';
import type { PendingEvent, QueueState as QueueStateSchema } from '../../protocol/index.js';
import type { QueueMessage } from './queue-message.js';
import type { QueueRow, Storage } from '../../storage/index.js';
import { toJid } from '../commands/message-content.js';
import type { InstanceRegistry, LiveInstance } from '../instances/instance-registry.js';

type MessageInput = QueueMessage;
type QueueWithLists = Static<typeof QueueStateSchema>;

/** The contract's `{messageType, message}` form of what a queue sends. */
export function wireMessage(m: MessageInput): { messageType: string; message: Record<string, unknown> } {
  if ('text' in m) return { messageType: 'extendedTextMessage', message: { text: m.text } };
  if ('location' in m) return { messageType: 'locationMessage', message: { ...m.location } };
  if ('media' in m) return { messageType: `${m.media.mediatype}Message`, message: { ...m.media } };
  return { messageType: 'contactMessage', message: { ...m.contact } };
}

/** A recipient's failure as `send.message:ERROR` reports it. */
export interface RecipientError {
  number: string;
  jid?: string;
  status: number;
  error: string;
  message: string;
}

/**
 * Every event the send queue emits, in the shapes of EVENTS.md. The lists of
 * what was sent are read from the store only for COMPLETED and the manager
 * events; PROCESSING names its one recipient, so a queue of n recipients
 * costs O(n) in events, not O(n²).
 *
 * A recipient's outcome (PROCESSING, ERROR) is built here but published by the
 * runner, in the same commit as the recipient's new state: one commit per send.
 */
export class QueueEvents {
  constructor(
    private readonly storage: Storage,
    private readonly registry: InstanceRegistry
  ) {}

  progress(q: QueueRow): number {
    const c = this.storage.queues.counts(q.id);
    return Math.round((100 * (c.sent + c.failed + c.unknown)) / Math.max(1, q.total));
  }

  started(inst: LiveInstance, q: QueueRow): void {
    const queue = { queueId: q.id, queueTimestamp: q.created_at, progress: 0, status: 'STARTED' as const, total: q.total };
    this.registry.publish(inst, () => [{ event: 'send.message:START', data: { queue } }]);
  }

  /** `progress` is the runner's own count, so a send never counts the queue's rows. */
  processing(q: QueueRow, messageId: string, jid: string, progress: number): PendingEvent {
    return { event: 'send.message:PROCESSING', data: { queue: { queueId: q.id, queueTimestamp: q.created_at, progress, messageId, jid } } };
  }

  completed(inst: LiveInstance, q: QueueRow): void {
    this.registry.publish(inst, () => [{ event: 'send.message:COMPLETED', data: { queue: this.withLists(q) } }]);
  }

  failed(q: QueueRow, e: RecipientError): PendingEvent {
    const data = { number: e.number, ...(e.jid ? { jid: e.jid } : {}), message: e.message, status: e.status, error: e.error, queueId: q.id };
    return { event: 'send.message:ERROR', data };
  }

  /** paused.queue, resumed.queue or deleted.queue; `reason` says who or what (a user, a hold, completion). */
  action(inst: LiveInstance, q: QueueRow, action: 'pause' | 'resume' | 'delete', reason?: string | null): void {
    const queue = this.withLists(q);
    const extra = reason ? { reason } : {};
    this.registry.publish(inst, () => [
      action === 'pause'
        ? { event: 'paused.queue', data: { action, ...extra, queue } }
        : action === 'resume'
          ? { event: 'resumed.queue', data: { action, ...extra, queue } }
          : { event: 'deleted.queue', data: { action, ...extra, queue } }
    ]);
  }

  private withLists(q: QueueRow): QueueWithLists {
    const sent = this.storage.queues.sent(q.id);
    return {
      queueId: q.id,
      progress: this.progress(q),
      queueTimestamp: q.created_at,
      data: {
        jids: sent.map(r => r.jid ?? toJid(r.number)),
        message: wireMessage(JSON.parse(q.message) as MessageInput),
        messageIds: sent.map(r => r.message_id ?? '')
      }
    };
  }
}
