import { Errors } from '../errors.js';

/**
 * A queue's lifecycle as an explicit state machine. `pausing` is a pause asked
 * for while a send is in flight: the send finishes, then the queue is `paused`.
 * `waiting` is a queue held up by its instance (not connected, or the daily cap).
 */
export type QueueState = 'queued' | 'running' | 'pausing' | 'paused' | 'waiting' | 'completed' | 'deleted';
export type RecipientState = 'pending' | 'sending' | 'sent' | 'failed' | 'unknown';

const MOVES: Record<QueueState, readonly QueueState[]> = {
  queued: ['running', 'waiting', 'paused', 'deleted'],
  running: ['running', 'pausing', 'paused', 'waiting', 'completed', 'deleted'],
  pausing: ['paused', 'deleted'],
  paused: ['queued', 'deleted'],
  waiting: ['running', 'waiting', 'paused', 'deleted', 'queued'],
  completed: [],
  deleted: []
};

/** Checks a move; an illegal one is refused with 409, as the API answers it. */
export function assertMove(from: QueueState, to: QueueState): void {
  if (!MOVES[from].includes(to)) throw new Errors.illegalQueueMove(from, to);
}

/** States in which a queue still has work and must be picked up again after a restart. */
export const ACTIVE: readonly QueueState[] = ['queued', 'running', 'pausing', 'waiting'];
