import { Type, type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { InstanceRef } from './common.js';
import { ChatsDeleteData, ChatsSetData, ChatsUpdateData, ContactsSetData, ContactsUpdateData, ContactsUpsertData, PresenceUpdateData } from './events-chat.js';
import { GroupParticipantsUpdateData, GroupsUpdateData, GroupsUpsertData } from './events-group.js';
import { ConnectionUpdateData, QrcodeUpdatedData } from './events-instance.js';
import { CallData } from './events-call.js';
import { HistoryProgress, MessagesDeleteData, MessagesSetData, MessagesUpdateData, NewMessageData, StatusBroadcastData } from './events-message.js';
import {
  DeletedQueueData,
  PausedQueueData,
  ResumedQueueData,
  SendCompletedData,
  SendErrorData,
  SendProcessingData,
  SendStartData
} from './events-queue.js';

/**
 * The event map: every event the hub emits, by its canonical name, with the
 * schema of its `data`. Names and shapes follow shared/spec/EVENTS.md.
 */
export const EventDataSchemas = {
  /** The connection with WhatsApp changed. */
  'connection.update': ConnectionUpdateData,
  /** A new pairing QR code. */
  'qrcode.updated': QrcodeUpdatedData,
  /** Chats loaded from the initial history. */
  'chats.set': ChatsSetData,
  /** Chats changed. */
  'chats.update': ChatsUpdateData,
  /** Chats deleted. */
  'chats.delete': ChatsDeleteData,
  /** A contact's presence in a chat. */
  'presence.update': PresenceUpdateData,
  /** Contacts loaded from the initial history. */
  'contacts.set': ContactsSetData,
  /** Contacts added or replaced. */
  'contacts.upsert': ContactsUpsertData,
  /** Contacts changed. */
  'contacts.update': ContactsUpdateData,
  /** A message that is not history: live, from the offline queue, or sent by the account (`fromMe`). */
  'new.message': NewMessageData,
  /** A message's status changed, or it was edited (`edit`). */
  'messages.update': MessagesUpdateData,
  /** Messages deleted, or a chat cleared. */
  'messages.delete': MessagesDeleteData,
  /** Messages from history (the first sync or an on-demand fetch), in batches. */
  'messages.set': MessagesSetData,
  /** A contact published a status. */
  'status.broadcast': StatusBroadcastData,
  /** Groups the account joined or created. */
  'groups.upsert': GroupsUpsertData,
  /** Groups whose subject, description or settings changed. */
  'groups.update': GroupsUpdateData,
  /** Members added to, removed from, promoted or demoted in a group. */
  'group-participants.update': GroupParticipantsUpdateData,
  /** A call offered to the account, or what became of it (rejected by the hub with `rejectCalls`). */
  call: CallData,
  /** A bulk send begins. */
  'send.message:START': SendStartData,
  /** A bulk send handled one recipient. */
  'send.message:PROCESSING': SendProcessingData,
  /** A bulk send finished. */
  'send.message:COMPLETED': SendCompletedData,
  /** A bulk send failed for one recipient. */
  'send.message:ERROR': SendErrorData,
  /** A queue was paused. */
  'paused.queue': PausedQueueData,
  /** A queue was resumed. */
  'resumed.queue': ResumedQueueData,
  /** A queue was deleted or cleared. */
  'deleted.queue': DeletedQueueData
} as const satisfies Record<string, TSchema>;

export const EVENT_NAMES = Object.keys(EventDataSchemas) as EventName[];
export type EventName = keyof typeof EventDataSchemas;
export type EventData<N extends EventName> = Static<(typeof EventDataSchemas)[N]>;

/** The envelope of one event, the same on every transport. */
export const envelopeSchema = <N extends EventName>(name: N) =>
  Type.Object({
    event: Type.Literal(name),
    instance: InstanceRef,
    data: EventDataSchemas[name],
    /** Per instance, strictly increasing, persisted: resume after the last one seen. */
    seq: Type.Integer({ minimum: 1 }),
    /** Milliseconds since the epoch when the hub emitted it. */
    timestamp: Type.Integer({ minimum: 0 }),
    ...(name === 'messages.set' ? { history: Type.Optional(HistoryProgress) } : {})
  });

/** The envelope fields only some events have: `history` beside a `messages.set` batch. */
type EnvelopeExtra<K extends EventName> = K extends 'messages.set' ? { history?: Static<typeof HistoryProgress> } : {};

export type EventEnvelope<N extends EventName = EventName> = {
  [K in N]: { event: K; instance: Static<typeof InstanceRef>; data: EventData<K>; seq: number; timestamp: number } & EnvelopeExtra<K>;
}[N];

/** An event before the log gives it its `seq`. */
export type PendingEvent<N extends EventName = EventName> = { [K in N]: { event: K; data: EventData<K> } & EnvelopeExtra<K> }[N];

const validators = new Map(EVENT_NAMES.map(name => [name, Compile(envelopeSchema(name))]));

/** Checks a whole envelope: a known event name, and a `data` of that event's shape. */
export function validateEvent(envelope: unknown): { ok: true } | { ok: false; errors: string[] } {
  const name = (envelope as { event?: unknown } | null)?.event;
  const validator = typeof name === 'string' ? validators.get(name as EventName) : undefined;
  if (!validator) return { ok: false, errors: [`unknown event ${JSON.stringify(name)}`] };
  if (validator.Check(envelope)) return { ok: true };
  return { ok: false, errors: [...validator.Errors(envelope)].map(e => `${e.instancePath || '/'} ${e.message}`) };
}
