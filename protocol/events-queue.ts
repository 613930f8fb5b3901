import { Type, type TProperties } from 'typebox';
import { Jid, MessageId } from './common.js';

/** The message a queue sends, in the map's `{messageType, message}` form. */
export const QueueMessage = Type.Object({
  messageType: Type.String(),
  message: Type.Union([Type.String(), Type.Record(Type.String(), Type.Unknown())])
});

/** The whole state of a bulk send, as every queue event carries it. */
export const QueueState = Type.Object({
  queueId: Type.String({ minLength: 1 }),
  progress: Type.Integer({ minimum: 0, maximum: 100 }),
  queueTimestamp: Type.Integer(),
  data: Type.Object({
    jids: Type.Array(Jid),
    message: Type.Optional(QueueMessage),
    messageIds: Type.Array(MessageId)
  })
});

const withQueue = <T extends TProperties>(extra: T) => Type.Object({ queue: Type.Intersect([QueueState, Type.Object(extra)]) });

/** send.message:START: a bulk send begins (progress 0). */
export const SendStartData = withQueue({ status: Type.Literal('STARTED') });
/** send.message:PROCESSING: one recipient handled; `messageId` is what was sent. */
export const SendProcessingData = withQueue({ messageId: MessageId });
/** send.message:COMPLETED: every recipient handled. */
export const SendCompletedData = withQueue({});
/** send.message:ERROR: one recipient failed (e.g. 404 not on WhatsApp); the queue goes on. */
export const SendErrorData = Type.Object({
  number: Type.String(),
  message: Type.String(),
  status: Type.Integer(),
  error: Type.String(),
  queueId: Type.String()
});

const action = <A extends string>(name: A) =>
  Type.Object({ action: Type.Literal(name), reason: Type.Optional(Type.String()), queue: QueueState });

/** paused.queue: a queue stopped before its next recipient (by a user, or waiting for the instance). */
export const PausedQueueData = action('pause');
/** resumed.queue: a paused queue goes on. */
export const ResumedQueueData = action('resume');
/** deleted.queue: a queue was deleted by a user, or cleared after it completed. */
export const DeletedQueueData = action('delete');
