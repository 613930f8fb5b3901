import type { Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { SubscribeArgs } from '../../protocol/index.js';
import type { InstanceId, Storage } from '../../storage/index.js';
import { assertMayUse, type Principal } from '../auth/principal.js';
import { Errors } from '../errors.js';
import type { InstanceRegistry, LiveInstance } from '../instances/instance-registry.js';
import type { ClientBudget, ClientPort } from './client-port.js';

const subscribeArgs = Compile(SubscribeArgs);

/** Checks `subscribe`/`unsubscribe` arguments and that the caller may follow that instance now; answers it. */
export function subscriptionTarget(
  registry: InstanceRegistry,
  principal: Principal,
  args: unknown,
  verb: string
): { args: Static<typeof SubscribeArgs>; inst: LiveInstance } {
  if (!subscribeArgs.Check(args)) throw new Errors.badRequest(`${verb} takes {instance, after?}`);
  assertMayUse(name => registry.idOf(name), principal, args.instance);
  return { args, inst: registry.get(args.instance) };
}

/** At most this many stored events are replayed by one subscribe; the ack says where to go on. */
export const REPLAY_LIMIT = 10_000;
/** Stored events read at a time; the next read waits until the socket has drained. */
export const REPLAY_PAGE = 200;
/**
 * A replay waiting this long without a single byte leaving closes the client as
 * too slow: a client that stopped reading would otherwise hold its replay (and
 * half its bound) until the heartbeat, and could keep asking meanwhile.
 */
export const REPLAY_STALL_MS = 10_000;

export interface ReplayResult {
  /** How many stored events were sent. */
  replayed: number;
  /** The seq of the last event the client now has (sent or already seen). */
  lastSeq: number;
  /** More stored events remain: subscribe again with `after: lastSeq`; live delivery has not started. */
  more: boolean;
  /**
   * `after` was beyond anything this instance ever numbered (it was deleted and
   * created again): the client's seqs are stale, so the replay started from the beginning.
   */
  reset: boolean;
  /** Some events after `after` are no longer stored (retention removed them): the client missed those. */
  gap: boolean;
}

export interface ReplaySource {
  storage: Storage;
  budget: ClientBudget;
  instanceId: InstanceId;
  /** The last seq the instance's log gave out, now. */
  lastSeq(): number;
  /** Throws when the client may no longer follow the instance (its token went stale mid-replay). */
  authorize(): void;
}

/**
 * Sends an instance's stored events after `after` page by page, each page only
 * once the socket has drained to half the client's bound, then starts live
 * delivery with `join` (not called when `more`). The read of the last page, its writes and the join are
 * one synchronous step, as are the pipeline's commit and publish, so no event
 * can be committed in between: the client gets every event exactly once, in
 * order, with no gap. A page that stops fitting is cut where it stopped and read
 * again from there after the next drain, so nothing is held while waiting.
 */
export async function replayThenJoin(src: ReplaySource, port: ClientPort, after: number, join: (result: ReplayResult) => void): Promise<ReplayResult> {
  const reset = after > src.lastSeq();
  let cursor = reset ? 0 : after;
  let replayed = 0;
  let gap: boolean | undefined;
  const lowWater = Math.floor(src.budget.maxBytes / 2);
  for (;;) {
    await drainedOrStalled(src.budget, port, lowWater);
    if (port.closed) return { replayed, lastSeq: cursor, more: true, reset, gap: gap ?? false };
    src.authorize();
    const want = Math.min(REPLAY_PAGE, REPLAY_LIMIT - replayed);
    const rows = src.storage.events.after(src.instanceId, cursor, want + 1);
    gap ??= rows.length ? rows[0]!.seq > cursor + 1 : src.lastSeq() > cursor;
    const page = Math.min(want, rows.length);
    let written = 0;
    while (written < page) {
      const row = rows[written]!;
      if (!src.budget.fits(port, Buffer.byteLength(row.payload))) break;
      port.write(row.payload);
      cursor = row.seq;
      written++;
    }
    replayed += written;
    if (written === page && rows.length <= want) {
      const result = { replayed, lastSeq: Math.max(cursor, src.lastSeq()), more: false, reset, gap };
      join(result);
      return result;
    }
    if (replayed >= REPLAY_LIMIT) return { replayed, lastSeq: cursor, more: true, reset, gap };
  }
}

/** Waits until at most `bytes` wait, or closes the client as too slow once nothing has left for `REPLAY_STALL_MS`. */
async function drainedOrStalled(budget: ClientBudget, port: ClientPort, bytes: number): Promise<void> {
  while (!port.closed && port.waitingBytes() > bytes) {
    const before = port.waitingBytes();
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<void>(resolve => (timer = setTimeout(resolve, REPLAY_STALL_MS)));
    await Promise.race([port.drained(bytes), stalled]);
    clearTimeout(timer);
    if (!port.closed && port.waitingBytes() >= before) budget.drop(port);
  }
}
