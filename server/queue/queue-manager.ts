import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Static } from 'typebox';
import type { QueueInfo, QueueOptions } from '../../protocol/index.js';
import type { QueueMessage } from './queue-message.js';
import type { QueueRow, Storage } from '../../storage/index.js';
import { Errors } from '../errors.js';
import type { InstanceRegistry, LiveInstance } from '../instances/instance-registry.js';
import { QueueEvents } from './queue-events.js';
import { QueueRunner, type RunnerOptions } from './queue-runner.js';
import { ACTIVE, assertMove, type QueueState, type RecipientState } from './queue-state.js';
import type { SendScheduler } from './send-scheduler.js';

type MessageInput = QueueMessage;
type Options = Static<typeof QueueOptions>;
type Info = Static<typeof QueueInfo>;

const PAUSED_BY_USER = 'paused by a user';

/**
 * Bulk sends: what the queue commands ask for. Every queue and every
 * recipient's state live in SQLite; the runner (`queue-runner.ts`) walks them,
 * `queue-events.ts` says what happened, `queue-state.ts` holds the legal moves.
 */
export class QueueManager {
  private readonly events: QueueEvents;
  private readonly runner: QueueRunner;

  constructor(
    private readonly storage: Storage,
    private readonly registry: InstanceRegistry,
    scheduler: SendScheduler,
    logger: Logger,
    options: RunnerOptions
  ) {
    this.events = new QueueEvents(storage, registry);
    this.runner = new QueueRunner(storage, registry, scheduler, this.events, logger, options);
    registry.onOpen(inst => this.resumeInstance(inst));
  }

  create(instance: string, numbers: string[], message: MessageInput, options: Options = {}): { queueId: string } {
    const inst = this.registry.get(instance);
    const min = options.minDelayMs ?? 1000;
    const max = options.maxDelayMs ?? Math.max(min, 3000);
    if (max < min) throw new Errors.badRequest('options.maxDelayMs must not be below options.minDelayMs');
    const row = this.registry.writeFor(inst.row.id, () =>
      this.storage.queues.create(
        {
          id: randomUUID(),
          instance_id: inst.row.id,
          state: 'queued',
          message: JSON.stringify(message),
          options: JSON.stringify({ ...options, minDelayMs: min, maxDelayMs: max }),
          total: numbers.length
        },
        numbers
      )
    );
    this.events.started(inst, row);
    this.runner.start(row.id);
    return { queueId: row.id };
  }

  get(instance: string, queueId: string, withRecipients = true): Info {
    return this.info(this.queueOf(instance, queueId), withRecipients);
  }

  list(instance: string): Info[] {
    return this.storage.queues.listByInstance(this.registry.get(instance).row.id).map(q => this.info(q, false));
  }

  pause(instance: string, queueId: string): Info {
    const { inst, row } = this.owned(instance, queueId);
    // A send on the line finishes first; the runner then completes the pause.
    const inFlight = this.runner.isSending(queueId);
    const to: QueueState = inFlight ? 'pausing' : 'paused';
    assertMove(row.state as QueueState, to);
    this.registry.writeFor(inst.row.id, () => this.storage.queues.setState(queueId, to, PAUSED_BY_USER));
    if (!inFlight) this.events.action(inst, row, 'pause', PAUSED_BY_USER);
    return this.get(instance, queueId, false);
  }

  resume(instance: string, queueId: string): Info {
    const { inst, row } = this.owned(instance, queueId);
    assertMove(row.state as QueueState, 'queued');
    this.registry.writeFor(inst.row.id, () => this.storage.queues.setState(queueId, 'queued'));
    this.events.action(inst, row, 'resume');
    this.runner.start(queueId);
    return this.get(instance, queueId, false);
  }

  delete(instance: string, queueId: string): Info {
    const { inst, row } = this.owned(instance, queueId);
    assertMove(row.state as QueueState, 'deleted');
    this.registry.writeFor(inst.row.id, () => this.storage.queues.setState(queueId, 'deleted', 'deleted by a user'));
    this.runner.cancelWake(queueId);
    this.events.action(inst, row, 'delete', 'deleted by a user');
    return this.get(instance, queueId, false);
  }

  /** On start: every queue that still has work goes on (a `pausing` one was paused mid-send). */
  resumeAll(): void {
    // In a cluster each node runs the queues of the instances it holds; the others resume when their instance opens here.
    const here = new Map(this.registry.list().filter(i => this.registry.owns(i)).map(i => [i.row.id, i]));
    for (const q of this.storage.queues.listInStates(ACTIVE)) {
      const inst = here.get(q.instance_id);
      if (!inst) continue;
      if (q.state === 'pausing') {
        try {
          this.registry.write(inst, () => this.storage.queues.setState(q.id, 'paused', PAUSED_BY_USER));
        } catch (err) {
          // Fenced out meanwhile: the node holding the instance now finishes the pause.
          if ((err as { code?: string }).code !== 'HUB_OTHER_NODE') throw err;
        }
        continue;
      }
      this.runner.start(q.id);
    }
  }

  close(): Promise<void> {
    return this.runner.close();
  }

  private resumeInstance(inst: LiveInstance): void {
    for (const q of this.storage.queues.listByInstance(inst.row.id)) {
      if (q.state === 'waiting' || q.state === 'queued' || q.state === 'running') this.runner.start(q.id);
    }
  }

  private owned(instance: string, queueId: string): { inst: LiveInstance; row: QueueRow } {
    const inst = this.registry.get(instance);
    const row = this.storage.queues.get(queueId);
    if (!row || row.instance_id !== inst.row.id) throw new Errors.queueNotFound(queueId);
    return { inst, row };
  }

  private queueOf(instance: string, queueId: string): QueueRow {
    return this.owned(instance, queueId).row;
  }

  private info(q: QueueRow, withRecipients: boolean): Info {
    const inst = this.registry.list().find(i => i.row.id === q.instance_id);
    return {
      queueId: q.id,
      instance: inst?.row.name ?? '',
      state: q.state as QueueState,
      reason: q.reason,
      progress: this.events.progress(q),
      total: q.total,
      counts: this.storage.queues.counts(q.id),
      queueTimestamp: q.created_at,
      ...(withRecipients
        ? {
            recipients: this.storage.queues.recipients(q.id).map(r => ({
              number: r.number,
              jid: r.jid,
              state: r.state as RecipientState,
              messageId: r.message_id,
              attempts: r.attempts,
              error: r.error
            }))
          }
        : {})
    };
  }
}
