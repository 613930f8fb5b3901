import { Errors } from '../errors.js';

/**
 * A queue's lifecycle as an explicit state machine. `pausing` is a pause asked
 * for while a send is in flight: the send finishes, then the queue is `paused`.
 * `waiting` is a queue held by the hub itself (instance not connected, daily cap);
 * it goes on by itself.
 */
export type QueueState = 'queued' | 'running' | 'pausing' | 'paused' | 'waiting' | 'completed' | 'deleted';

/**
 * One recipient's lifecycle. `sending` is committed with the message ID before
 * the stanza goes out and stays until WhatsApp answers, so a crash or a lost
 * connection in between leaves it `sending`: it is sent again with the same ID
 * (a repeat WhatsApp shows once), or with `onUncertain: "skip"` becomes `unknown`.
 * `failed`: not on WhatsApp, refused by WhatsApp, or out of retries.
 */
export const RECIPIENT_STATES = ['pending', 'sending', 'sent', 'failed', 'unknown'] as const;
export type RecipientState = (typeof RECIPIENT_STATES)[number];

const QUEUE_MOVES: Record<QueueState, readonly QueueState[]> = {
  // A resumed queue whose last recipient was handled before the pause completes at once.
  queued: ['running', 'waiting', 'paused', 'completed', 'deleted'],
  running: ['pausing', 'paused', 'waiting', 'completed', 'deleted'],
  pausing: ['paused', 'deleted'],
  paused: ['queued', 'deleted'],
  // `waiting` → `waiting`: held again for another reason (the cap after a reconnect).
  waiting: ['running', 'waiting', 'paused', 'queued', 'completed', 'deleted'],
  completed: [],
  deleted: []
};

const RECIPIENT_MOVES: Record<RecipientState, readonly RecipientState[]> = {
  pending: ['sending', 'failed'],
  // `sending` → `sending`: a retry of a transient failure, with the same message ID.
  sending: ['sending', 'sent', 'failed', 'unknown'],
  sent: [],
  failed: [],
  unknown: []
};

export const canMove = (from: QueueState, to: QueueState): boolean => QUEUE_MOVES[from].includes(to);
export const canMoveRecipient = (from: RecipientState, to: RecipientState): boolean => RECIPIENT_MOVES[from].includes(to);

/** Checks a move; an illegal one is refused with 409, as the API answers it. */
export function assertMove(from: QueueState, to: QueueState): void {
  if (!canMove(from, to)) throw new Errors.illegalQueueMove(from, to);
}

/** Checks a recipient's move; an illegal one is a bug in the runner, never a user's doing. */
export function assertRecipientMove(from: RecipientState, to: RecipientState): void {
  if (!canMoveRecipient(from, to)) throw new Error(`illegal recipient move ${from} → ${to}`);
}

/** States in which a queue still has work and must be picked up again after a restart. */
export const ACTIVE: readonly QueueState[] = ['queued', 'running', 'pausing', 'waiting'];
