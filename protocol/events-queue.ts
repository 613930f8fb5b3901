import { Type, type TProperties } from 'typebox';
import { Jid, MessageId } from './common.js';

/** The message a queue sends, in the map's `{messageType, message}` form. */
export const QueueMessage = Type.Object({
  messageType: Type.String(),
  message: Type.Union([Type.String(), Type.Record(Type.String(), Type.Unknown())])
});

/** What every queue event says about its queue. */
const QueueHead = {
  queueId: Type.String({ minLength: 1 }),
  progress: Type.Integer({ minimum: 0, maximum: 100 }),
  queueTimestamp: Type.Integer()
};

/** The queue with the lists of what it sent so far, as COMPLETED and the manager events carry it. */
export const QueueState = Type.Object({
  ...QueueHead,
  data: Type.Object({
    jids: Type.Array(Jid),
    message: Type.Optional(QueueMessage),
    messageIds: Type.Array(MessageId)
  })
});

const strict = { additionalProperties: false } as const;
const withQueue = <T extends TProperties>(extra: T) => Type.Object({ queue: Type.Intersect([QueueState, Type.Object(extra)]) });

/** send.message:START: a bulk send begins (progress 0) with `total` recipients. */
export const SendStartData = Type.Object({
  queue: Type.Object({ ...QueueHead, status: Type.Literal('STARTED'), total: Type.Integer({ minimum: 1 }) }, strict)
});
/**
 * send.message:PROCESSING: WhatsApp took the message for one recipient. It names
 * only that recipient and never the lists, so a queue's events grow linearly.
 */
export const SendProcessingData = Type.Object({
  queue: Type.Object({ ...QueueHead, messageId: MessageId, jid: Jid }, strict)
});
/** send.message:COMPLETED: every recipient handled. */
export const SendCompletedData = withQueue({});
/**
 * send.message:ERROR: one recipient failed and the queue goes on: 404 not on
 * WhatsApp, 409 uncertain after a crash, 408/503 when retries ran out, or
 * WhatsApp's own code when it refused the message.
 */
export const SendErrorData = Type.Object({
  number: Type.String(),
  jid: Type.Optional(Jid),
  message: Type.String(),
  status: Type.Integer(),
  error: Type.String(),
  queueId: Type.String()
});

const action = <A extends string>(name: A) =>
  Type.Object({ action: Type.Literal(name), reason: Type.Optional(Type.String()), queue: QueueState });

/** paused.queue: a queue stopped before its next recipient (by a user, or held by the hub with a `reason`). */
export const PausedQueueData = action('pause');
/** resumed.queue: a queue goes on (asked by a user, or by itself after a hold, with the `reason` it was held for). */
export const ResumedQueueData = action('resume');
/** deleted.queue: a queue was deleted by a user, or cleared after it completed. */
export const DeletedQueueData = action('delete');
