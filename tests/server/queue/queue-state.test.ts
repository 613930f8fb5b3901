import { ACTIVE, assertMove, assertRecipientMove, canMove, canMoveRecipient, type QueueState, type RecipientState } from '../../../server/queue/queue-state.js';

const QUEUE_STATES: QueueState[] = ['queued', 'running', 'pausing', 'paused', 'waiting', 'completed', 'deleted'];
const RECIPIENT_STATES: RecipientState[] = ['pending', 'sending', 'sent', 'failed', 'unknown'];

// Every legal move, spelled out: anything else must be refused.
const LEGAL_QUEUE: [QueueState, QueueState][] = [
  ['queued', 'running'],
  ['queued', 'waiting'],
  ['queued', 'paused'],
  ['queued', 'completed'],
  ['queued', 'deleted'],
  ['running', 'pausing'],
  ['running', 'paused'],
  ['running', 'waiting'],
  ['running', 'completed'],
  ['running', 'deleted'],
  ['pausing', 'paused'],
  ['pausing', 'deleted'],
  ['paused', 'queued'],
  ['paused', 'deleted'],
  ['waiting', 'running'],
  ['waiting', 'waiting'],
  ['waiting', 'paused'],
  ['waiting', 'queued'],
  ['waiting', 'completed'],
  ['waiting', 'deleted']
];
const LEGAL_RECIPIENT: [RecipientState, RecipientState][] = [
  ['pending', 'sending'],
  ['pending', 'failed'],
  ['sending', 'sending'],
  ['sending', 'sent'],
  ['sending', 'failed'],
  ['sending', 'unknown']
];

const pairs = <S extends string>(states: S[]) => states.flatMap(from => states.map(to => [from, to] as [S, S]));
const isIn = <S>(list: [S, S][], [a, b]: [S, S]) => list.some(([x, y]) => x === a && y === b);

test.each(pairs(QUEUE_STATES))('queue %s → %s is legal exactly when listed', (from, to) => {
  const legal = isIn(LEGAL_QUEUE, [from, to]);
  expect(canMove(from, to)).toBe(legal);
  if (legal) expect(() => assertMove(from, to)).not.toThrow();
  else expect(() => assertMove(from, to)).toThrow(expect.objectContaining({ statusCode: 409, code: 'HUB_QUEUE_STATE' }));
});

test.each(pairs(RECIPIENT_STATES))('recipient %s → %s is legal exactly when listed', (from, to) => {
  const legal = isIn(LEGAL_RECIPIENT, [from, to]);
  expect(canMoveRecipient(from, to)).toBe(legal);
  if (legal) expect(() => assertRecipientMove(from, to)).not.toThrow();
  else expect(() => assertRecipientMove(from, to)).toThrow(`illegal recipient move ${from} → ${to}`);
});

test('finished queues and handled recipients are final; a sent message is never sent again', () => {
  for (const to of QUEUE_STATES) {
    expect(canMove('completed', to)).toBe(false);
    expect(canMove('deleted', to)).toBe(false);
  }
  for (const done of ['sent', 'failed', 'unknown'] as const) for (const to of RECIPIENT_STATES) expect(canMoveRecipient(done, to)).toBe(false);
  expect(canMoveRecipient('pending', 'sent')).toBe(false); // only through `sending`, which commits the ID first
});

test('a restart picks up exactly the states with work left', () => {
  expect([...ACTIVE].sort()).toEqual(['pausing', 'queued', 'running', 'waiting']);
});
