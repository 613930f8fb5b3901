import { randomUUID } from 'node:crypto';
import { generateMessageIDV2, type AnyMessageContent } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { Static } from 'typebox';
import type { PendingEvent, QueueInfo, QueueMessageInput, QueueOptions } from '../../protocol/index.js';
import type { QueueRow, RecipientRow, Storage } from '../../storage/index.js';
import { contactContent, locationContent, lookUpNumbers, toJid } from '../commands/message-content.js';
import { Errors } from '../errors.js';
import type { InstanceRegistry, LiveInstance } from '../instances/instance-registry.js';
import { ACTIVE, assertMove, type QueueState, type RecipientState } from './queue-state.js';
import { PRIORITY, type SendScheduler } from './send-scheduler.js';

type MessageInput = Static<typeof QueueMessageInput>;
type Options = Static<typeof QueueOptions>;
type Info = Static<typeof QueueInfo>;

/** Numbers are checked with WhatsApp this many at a time, just ahead of their turn. */
const CHECK_BATCH = 10;
const NOT_ON_WHATSAPP = 'not-on-whatsapp';

/** The contract's `{messageType, message}` form of what a queue sends. */
function wireMessage(m: MessageInput): { messageType: string; message: Record<string, unknown> } {
  if ('text' in m) return { messageType: 'extendedTextMessage', message: { text: m.text } };
  if ('location' in m) return { messageType: 'locationMessage', message: { ...m.location } };
  return { messageType: 'contactMessage', message: { ...m.contact } };
}

function baileysContent(m: MessageInput): AnyMessageContent {
  if ('text' in m) return { text: m.text };
  if ('location' in m) return locationContent(m.location);
  return contactContent(m.contact);
}

const startOfDay = (t = Date.now()) => {
  const d = new Date(t);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
};
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/**
 * Bulk sends. Every queue and every recipient's state live in SQLite; a message
 * ID is committed before each send, so after a crash a recipient caught
 * mid-send is sent again with the same ID (WhatsApp shows it once) or, with
 * `onUncertain: "skip"`, reported `unknown`. One runner per queue walks the
 * recipients in order through the instance's send line.
 */
export class QueueManager {
  private readonly running = new Map<string, Promise<void>>();
  private readonly wake = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly storage: Storage,
    private readonly registry: InstanceRegistry,
    private readonly scheduler: SendScheduler,
    private readonly logger: Logger
  ) {
    registry.onOpen(inst => this.resumeInstance(inst));
  }

  create(instance: string, numbers: string[], message: MessageInput, options: Options = {}): { queueId: string } {
    const inst = this.registry.get(instance);
    const min = options.minDelayMs ?? 1000;
    const max = options.maxDelayMs ?? Math.max(min, 3000);
    if (max < min) throw new Errors.badRequest('options.maxDelayMs must not be below options.minDelayMs');
    const row = this.storage.queues.create(
      {
        id: randomUUID(),
        instance_id: inst.row.id,
        state: 'queued',
        message: JSON.stringify(message),
        options: JSON.stringify({ ...options, minDelayMs: min, maxDelayMs: max }),
        total: numbers.length
      },
      numbers
    );
    this.emit(inst, row, 'send.message:START', extra => ({ queue: { ...extra, status: 'STARTED' as const } }));
    this.start(row.id);
    return { queueId: row.id };
  }

  get(instance: string, queueId: string, withRecipients = true): Info {
    return this.info(this.queueOf(instance, queueId), withRecipients);
  }

  list(instance: string): Info[] {
    return this.storage.queues.listByInstance(this.registry.get(instance).row.id).map(q => this.info(q, false));
  }

  pause(instance: string, queueId: string): Info {
    const row = this.queueOf(instance, queueId);
    const inFlight = this.inFlight.has(queueId);
    const to: QueueState = inFlight ? 'pausing' : 'paused';
    assertMove(row.state as QueueState, to);
    this.storage.queues.setState(queueId, to, 'paused by a user');
    if (!inFlight) this.emitAction(queueId, 'pause', 'paused by a user');
    return this.get(instance, queueId, false);
  }

  resume(instance: string, queueId: string): Info {
    const row = this.queueOf(instance, queueId);
    assertMove(row.state as QueueState, 'queued');
    this.storage.queues.setState(queueId, 'queued');
    this.emitAction(queueId, 'resume');
    this.start(queueId);
    return this.get(instance, queueId, false);
  }

  delete(instance: string, queueId: string): Info {
    const row = this.queueOf(instance, queueId);
    assertMove(row.state as QueueState, 'deleted');
    this.storage.queues.setState(queueId, 'deleted', 'deleted by a user');
    clearTimeout(this.wake.get(queueId));
    this.emitAction(queueId, 'delete', 'deleted by a user');
    return this.get(instance, queueId, false);
  }

  /** On start: every queue that still has work goes on (a `pausing` one was paused mid-send). */
  resumeAll(): void {
    for (const q of this.storage.queues.listInStates(ACTIVE)) {
      if (q.state === 'pausing') {
        this.storage.queues.setState(q.id, 'paused', 'paused by a user');
        continue;
      }
      this.start(q.id);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.wake.values()) clearTimeout(t);
    await Promise.all(this.running.values());
  }

  // --- the runner ---

  private readonly inFlight = new Set<string>();

  private resumeInstance(inst: LiveInstance): void {
    for (const q of this.storage.queues.listByInstance(inst.row.id)) {
      if (q.state === 'waiting' || q.state === 'queued' || q.state === 'running') this.start(q.id);
    }
  }

  private start(queueId: string): void {
    if (this.closed || this.running.has(queueId)) return;
    const run = this.run(queueId)
      .catch(err => this.logger.error({ err, queueId }, 'queue runner failed'))
      .finally(() => this.running.delete(queueId));
    this.running.set(queueId, run);
  }

  private async run(queueId: string): Promise<void> {
    for (;;) {
      const q = this.storage.queues.get(queueId);
      if (!q || this.closed) return;
      const state = q.state as QueueState;
      if (state === 'paused' || state === 'deleted' || state === 'completed' || state === 'pausing') return;
      const inst = this.instanceOf(q);
      if (!inst) return;
      const sock = inst.session.socket;
      if (!sock) return this.hold(q, inst, 'instance not connected');
      const options = JSON.parse(q.options) as Options & { minDelayMs: number; maxDelayMs: number };
      if (options.dailyCap && this.storage.queues.sentSince(inst.row.id, startOfDay()) >= options.dailyCap) {
        this.hold(q, inst, 'daily cap reached');
        this.wake.set(queueId, setTimeout(() => this.start(queueId), startOfDay() + 86_400_000 - Date.now() + 1000).unref());
        return;
      }
      const next = this.storage.queues.nextOpen(queueId);
      if (!next) return this.complete(q, inst);
      if (state !== 'running') this.storage.queues.setState(queueId, 'running');
      await this.handle(q, inst, next, options);
    }
  }

  /** A queue that cannot go on now: says so once with paused.queue and a reason, then waits for the instance. */
  private hold(q: QueueRow, inst: LiveInstance, reason: string): void {
    if (q.state === 'waiting' && q.reason === reason) return;
    this.storage.queues.setState(q.id, 'waiting', reason);
    this.emitAction(q.id, 'pause', reason);
  }

  private async handle(q: QueueRow, inst: LiveInstance, r: RecipientRow, options: Options & { minDelayMs: number; maxDelayMs: number }): Promise<void> {
    if (r.state === 'sending' && options.onUncertain === 'skip') {
      // A crash came between committing and confirming this send: at-most-once means we do not send again.
      this.storage.queues.updateRecipient(q.id, r.position, { state: 'unknown', error: 'delivery uncertain after a restart' });
      this.emitError(q, inst, r.number, 409, 'Conflict', 'delivery uncertain after a restart; not sent again');
      return;
    }
    if (r.state === 'pending' && r.jid === null && r.error === null) await this.checkAhead(q, inst, r);
    // Re-read: the check above may have stored its JID or that it is not on WhatsApp.
    const fresh = this.storage.queues.recipient(q.id, r.position)!;
    if (fresh.error === NOT_ON_WHATSAPP) {
      this.storage.queues.updateRecipient(q.id, r.position, { state: 'failed' });
      this.emitError(q, inst, r.number, 404, 'Not Found', 'The number entered is not a valid whatsapp contact');
      return;
    }
    this.inFlight.add(q.id);
    try {
      await this.scheduler.run(
        inst.row.name,
        async () => {
          // The pause between two sends of this instance, then a last look: a pause or delete wins over this send.
          await sleep(options.minDelayMs + Math.random() * (options.maxDelayMs - options.minDelayMs));
          const now = this.storage.queues.get(q.id);
          if (!now || now.state !== 'running') return;
          const sock = inst.session.socket;
          if (!sock) return;
          const jid = fresh.jid ?? toJid(fresh.number);
          const messageId = fresh.message_id ?? generateMessageIDV2(sock.user?.id);
          this.storage.queues.updateRecipient(q.id, r.position, { state: 'sending', message_id: messageId, jid });
          const message = JSON.parse(q.message) as MessageInput;
          if (options.composing && 'text' in message) {
            await sock.sendPresenceUpdate('composing', jid).catch(() => undefined);
            await sleep(Math.min(5000, 300 + message.text.length * 30));
            await sock.sendPresenceUpdate('paused', jid).catch(() => undefined);
          }
          try {
            await sock.sendMessage(jid, baileysContent(message), { messageId });
          } catch (err) {
            // Left in `sending` with its ID: it goes again, with the same ID, once the instance is back.
            this.logger.warn({ err, queueId: q.id, position: r.position }, 'send failed; will retry');
            return;
          }
          this.storage.queues.updateRecipient(q.id, r.position, { state: 'sent' });
          this.emit(inst, this.storage.queues.get(q.id)!, 'send.message:PROCESSING', queue => ({ queue: { ...queue, messageId } }));
        },
        PRIORITY.bulk
      );
    } finally {
      this.inFlight.delete(q.id);
      const after = this.storage.queues.get(q.id);
      if (after?.state === 'pausing') {
        this.storage.queues.setState(q.id, 'paused', after.reason);
        this.emitAction(q.id, 'pause', after.reason ?? undefined);
      }
    }
  }

  /** Asks WhatsApp about this recipient and the next few pending ones in one paced request. */
  private async checkAhead(q: QueueRow, inst: LiveInstance, from: RecipientRow): Promise<void> {
    const sock = inst.session.socket;
    if (!sock) return;
    const batch = this.storage.queues
      .recipients(q.id)
      .filter(r => r.position >= from.position && r.state === 'pending' && r.jid === null && r.error === null)
      .slice(0, CHECK_BATCH);
    const found = await lookUpNumbers(sock, batch.map(r => r.number));
    for (const r of batch) {
      const jid = found.get(r.number);
      this.storage.queues.updateRecipient(q.id, r.position, jid ? { jid } : { error: NOT_ON_WHATSAPP });
    }
  }

  private complete(q: QueueRow, inst: LiveInstance): void {
    this.storage.queues.setState(q.id, 'completed');
    const row = this.storage.queues.get(q.id)!;
    this.emit(inst, row, 'send.message:COMPLETED', queue => ({ queue }));
    // The finished queue is cleared, as the contract says, right after COMPLETED.
    this.emitAction(q.id, 'delete', 'completed');
  }

  // --- reporting ---

  private queueOf(instance: string, queueId: string): QueueRow {
    const inst = this.registry.get(instance);
    const row = this.storage.queues.get(queueId);
    if (!row || row.instance_id !== inst.row.id) throw new Errors.queueNotFound(queueId);
    return row;
  }

  private instanceOf(q: QueueRow): LiveInstance | undefined {
    return this.registry.list().find(i => i.row.id === q.instance_id);
  }

  private progress(q: QueueRow): number {
    const c = this.storage.queues.counts(q.id);
    return Math.round((100 * (c.sent + c.failed + c.unknown)) / Math.max(1, q.total));
  }

  /** The whole queue state the contract puts in every queue event. */
  private state(q: QueueRow) {
    const recipients = this.storage.queues.recipients(q.id);
    const sent = recipients.filter(r => r.state === 'sent');
    return {
      queueId: q.id,
      progress: this.progress(q),
      queueTimestamp: q.created_at,
      data: {
        jids: sent.map(r => r.jid ?? toJid(r.number)),
        message: wireMessage(JSON.parse(q.message) as MessageInput),
        messageIds: sent.map(r => r.message_id ?? '')
      }
    };
  }

  private info(q: QueueRow, withRecipients: boolean): Info {
    const inst = this.instanceOf(q);
    return {
      queueId: q.id,
      instance: inst?.row.name ?? '',
      state: q.state as QueueState,
      reason: q.reason,
      progress: this.progress(q),
      total: q.total,
      counts: this.storage.queues.counts(q.id),
      queueTimestamp: q.created_at,
      ...(withRecipients
        ? {
            recipients: this.storage.queues.recipients(q.id).map(r => ({
              number: r.number,
              state: r.state as RecipientState,
              messageId: r.message_id,
              error: r.error
            }))
          }
        : {})
    };
  }

  private emit<E extends 'send.message:START' | 'send.message:PROCESSING' | 'send.message:COMPLETED'>(
    inst: LiveInstance,
    q: QueueRow,
    event: E,
    data: (queue: ReturnType<QueueManager['state']>) => unknown
  ): void {
    this.registry.publish(inst, () => [{ event, data: data(this.state(q)) } as PendingEvent]);
  }

  private emitError(q: QueueRow, inst: LiveInstance, number: string, status: number, error: string, message: string): void {
    this.registry.publish(inst, () => [{ event: 'send.message:ERROR', data: { number, message, status, error, queueId: q.id } }]);
  }

  private emitAction(queueId: string, action: 'pause' | 'resume' | 'delete', reason?: string): void {
    const q = this.storage.queues.get(queueId)!;
    const inst = this.instanceOf(q);
    if (!inst) return;
    const event = action === 'pause' ? 'paused.queue' : action === 'resume' ? 'resumed.queue' : 'deleted.queue';
    this.registry.publish(inst, () => [{ event, data: { action, ...(reason ? { reason } : {}), queue: this.state(q) } } as PendingEvent]);
  }
}
