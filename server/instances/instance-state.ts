/**
 * The lifecycle of one instance as an explicit state machine.
 * connecting → qr (waiting for a scan) → open; any of them → close (will retry)
 * or refused (gave up: logged out, or the QR was shown QR_MAX_COUNT times).
 */
export const INSTANCE_STATES = ['connecting', 'qr', 'open', 'close', 'refused'] as const;
export type InstanceState = (typeof INSTANCE_STATES)[number];

const MOVES: Record<InstanceState, readonly InstanceState[]> = {
  connecting: ['qr', 'open', 'close', 'refused'],
  qr: ['qr', 'connecting', 'open', 'close', 'refused'],
  open: ['close', 'refused', 'connecting'],
  close: ['connecting', 'refused'],
  refused: ['connecting']
};

export function canMove(from: InstanceState, to: InstanceState): boolean {
  return MOVES[from].includes(to);
}

/** The contract's `connection.update` state for an instance state (a QR wait is still `connecting`). */
export function wireState(state: InstanceState): 'connecting' | 'open' | 'close' | 'refused' {
  return state === 'qr' ? 'connecting' : state;
}
