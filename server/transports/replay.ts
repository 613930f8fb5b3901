import type { Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { SubscribeArgs } from '../../protocol/index.js';
import type { Storage } from '../../storage/index.js';
import { assertMayUse, type Principal } from '../auth/principal.js';
import { Errors } from '../errors.js';
import type { InstanceRegistry, LiveInstance } from '../instances/instance-registry.js';

const subscribeArgs = Compile(SubscribeArgs);

/** Checks `subscribe`/`unsubscribe` arguments and that the caller may follow that instance; answers it. */
export function subscriptionTarget(
  registry: InstanceRegistry,
  principal: Principal,
  args: unknown,
  verb: string
): { args: Static<typeof SubscribeArgs>; inst: LiveInstance } {
  if (!subscribeArgs.Check(args)) throw new Errors.badRequest(`${verb} takes {instance, after?}`);
  assertMayUse(principal, args.instance);
  return { args, inst: registry.get(args.instance) };
}

/**
 * A socket transport's `subscribe`: checks, replays after `after`, joins live
 * delivery, and answers the acknowledgement's data. Synchronous throughout.
 */
export function subscribe(
  storage: Storage,
  registry: InstanceRegistry,
  principal: Principal,
  raw: unknown,
  send: (payload: string) => void,
  join: (instance: string) => void
) {
  const { args, inst } = subscriptionTarget(registry, principal, raw, 'subscribe');
  const result = replayThenJoin(storage, registry, inst, args.after, send, () => join(args.instance));
  return { instance: args.instance, state: inst.session.state, ...result };
}

/** At most this many stored events are replayed by one subscribe; the ack says where to go on. */
export const REPLAY_LIMIT = 10_000;

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

/**
 * Sends an instance's stored events after `after`, then starts live delivery,
 * all in one synchronous step. The pipeline commits and publishes synchronously
 * too, so no event can be committed between the read and the join: the client
 * gets every event exactly once, in order, with no gap.
 */
export function replayThenJoin(
  storage: Storage,
  registry: InstanceRegistry,
  inst: LiveInstance,
  after: number | undefined,
  send: (raw: string) => void,
  join: () => void
): ReplayResult {
  let lastSeq = registry.lastSeq(inst);
  if (after === undefined) {
    join();
    return { replayed: 0, lastSeq, more: false, reset: false, gap: false };
  }
  const reset = after > lastSeq;
  if (reset) after = 0;
  const rows = storage.events.after(inst.row.id, after, REPLAY_LIMIT + 1);
  const more = rows.length > REPLAY_LIMIT;
  const batch = more ? rows.slice(0, REPLAY_LIMIT) : rows;
  const gap = batch.length ? batch[0]!.seq > after + 1 : lastSeq > after;
  for (const row of batch) send(row.payload);
  if (more) lastSeq = batch.at(-1)!.seq;
  else {
    lastSeq = Math.max(after, batch.at(-1)?.seq ?? after);
    join();
  }
  return { replayed: batch.length, lastSeq, more, reset, gap };
}
