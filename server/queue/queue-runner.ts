import { generateMessageIDV2, isJidGroup, type AnyMessageContent, type WASocket } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import type { Static } from 'typebox';
import type { PendingEvent, QueueOptions } from '../../protocol/index.js';
import type { QueueMessage } from './queue-message.js';
import type { QueueRow, RecipientRow, Storage } from '../../storage/index.js';
import { mediaContent } from '../media/media-content.js';
import { contactContent, locationContent, lookUpNumbers, skipsNumberCheck, toJid } from '../commands/message-content.js';
import type { InstanceRegistry, LiveInstance } from '../instances/instance-registry.js';
import { countSend, nextDay, sendsToday } from './daily-sends.js';
import type { QueueEvents } from './queue-events.js';
import { assertMove, assertRecipientMove, type QueueState, type RecipientState } from './queue-state.js';
import { PRIORITY, type SendScheduler } from './send-scheduler.js';
import { refusalName, sendAndConfirm, TransientSendError } from './whatsapp-ack.js';
import { secondsSince } from '../metrics/hub-observer.js';
import { toErrorBody } from '../errors.js';

type MessageInput = QueueMessage;
export type RunOptions = Static<typeof QueueOptions> & { minDelayMs: number; maxDelayMs: number };

/**
 * Numbers are checked with WhatsApp this many at a time, just ahead of their turn:
 * one usync query of 50 costs about what one of 10 does, so a check no longer
 * dominates a send at zero delay.
 */
const CHECK_BATCH = 50;
const NOT_ON_WHATSAPP = 'not-on-whatsapp';
export const HOLD_DISCONNECTED = 'instance not connected';
export const HOLD_DAILY_CAP = 'daily cap reached';
/** The pause before a turn that failed on its way (not a send) is taken again. */
const RETRY_TURN_MS = 1000;

export interface RunnerOptions {
  /** How long WhatsApp may take to ack a message stanza before the send counts as timed out. */
  ackTimeoutMs: number;
  /** Sends tried per recipient (the first and its retries) before a transient failure is final. */
  maxAttempts: number;
  /**
   * Checks a group recipient against the group's metadata (it exists, the account is in
   * it and may write), throwing the hub's refusal; groups are not in WhatsApp's number check.
   */
  checkGroup?(instance: string, sock: WASocket, groupJid: string): Promise<void>;
  /** Where the media store keeps a file, for queues that send one. */
  mediaPathOf: (sha256: string) => string;
}

function baileysContent(m: MessageInput, mediaPathOf: (sha256: string) => string): AnyMessageContent {
  if ('text' in m) return { text: m.text };
  if ('location' in m) return locationContent(m.location);
  if ('media' in m) return mediaContent(m.media, { sha256: m.media.sha256, bytes: m.media.fileLength, path: mediaPathOf(m.media.sha256) }, m.media.mimetype);
  return contactContent(m.contact);
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/**
 * Walks each queue's recipients in order through its instance's send line: one
 * runner per queue, every step committed to SQLite before it is taken, so a
 * restart picks up where the last one stopped.
 */
export class QueueRunner {
  private readonly running = new Map<string, Promise<void>>();
  private readonly wake = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<string>();
  /** Recipients handled (sent, failed, unknown) per running queue: counted as they settle, read once per run. */
  private readonly handled = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly storage: Storage,
    private readonly registry: InstanceRegistry,
    private readonly scheduler: SendScheduler,
    private readonly events: QueueEvents,
    private readonly logger: Logger,
    private readonly options: RunnerOptions
  ) {}

  /** Starts the queue's runner unless one runs already. */
  start(queueId: string): void {
    if (this.closed || this.running.has(queueId)) return;
    const run = this.run(queueId)
      .catch(err => this.logger.error({ err, queueId }, 'queue runner failed'))
      .finally(() => this.running.delete(queueId));
    this.running.set(queueId, run);
  }

  /** A send of this queue is on its instance's line right now (a pause must let it finish). */
  isSending(queueId: string): boolean {
    return this.inFlight.has(queueId);
  }

  cancelWake(queueId: string): void {
    clearTimeout(this.wake.get(queueId));
    this.wake.delete(queueId);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.wake.values()) clearTimeout(t);
    await Promise.all(this.running.values());
  }

  private move(q: QueueRow, to: QueueState, reason: string | null = null): void {
    assertMove(q.state as QueueState, to);
    this.storage.queues.setState(q.id, to, reason);
  }

  private moveRecipient(r: RecipientRow, to: RecipientState, patch: Partial<Pick<RecipientRow, 'jid' | 'message_id' | 'error' | 'attempts'>> = {}): void {
    assertRecipientMove(r.state as RecipientState, to);
    this.storage.queues.updateRecipient(r.queue_id, r.position, { ...patch, state: to });
  }

  private instanceOf(q: QueueRow): LiveInstance | undefined {
    return this.registry.list().find(i => i.row.id === q.instance_id);
  }

  private async run(queueId: string): Promise<void> {
    const c = this.storage.queues.counts(queueId);
    this.handled.set(queueId, c.sent + c.failed + c.unknown);
    try {
      await this.walk(queueId);
    } finally {
      this.handled.delete(queueId);
    }
  }

  /**
   * Settles a recipient (sent, failed or unknown) and publishes its event in one
   * commit, with the daily count when it was sent: a crash leaves both or neither.
   */
  private settle(
    inst: LiveInstance,
    q: QueueRow,
    r: RecipientRow,
    to: RecipientState,
    patch: Partial<Pick<RecipientRow, 'error'>>,
    event: (progress: number) => PendingEvent
  ): void {
    const handled = (this.handled.get(q.id) ?? 0) + 1;
    this.registry.publish(inst, () => {
      this.moveRecipient(r, to, patch);
      if (to === 'sent') countSend(this.storage, inst.row.id);
      return [event(Math.round((100 * handled) / Math.max(1, q.total)))];
    });
    this.handled.set(q.id, handled);
  }

  private async walk(queueId: string): Promise<void> {
    // Recipients are handled in order, so the next open one is never before the last one read.
    let cursor = 0;
    for (;;) {
      const q = this.storage.queues.get(queueId);
      if (!q || this.closed) return;
      const state = q.state as QueueState;
      if (state === 'paused' || state === 'deleted' || state === 'completed' || state === 'pausing') return;
      const inst = this.instanceOf(q);
      if (!inst) return;
      // In a cluster the queue runs where its instance runs; the next owner resumes it from its stored state when the instance opens there.
      if (!this.registry.owns(inst)) return;
      // Held queues are started again by the instance's next open, or by the wake-up at midnight.
      if (!inst.session.socket) return this.hold(inst, q, HOLD_DISCONNECTED);
      const options = JSON.parse(q.options) as RunOptions;
      if (options.dailyCap && sendsToday(this.storage, inst.row.id) >= options.dailyCap) {
        this.hold(inst, q, HOLD_DAILY_CAP);
        this.cancelWake(queueId);
        this.wake.set(queueId, setTimeout(() => this.start(queueId), nextDay() - Date.now() + 1000).unref());
        return;
      }
      const next = this.storage.queues.nextOpen(queueId, cursor);
      if (!next) return this.complete(inst, q);
      cursor = next.position;
      if (state === 'waiting') {
        // The hold is over by itself: say so, with what it was waiting for.
        this.move(q, 'running');
        this.events.action(inst, q, 'resume', q.reason);
      } else if (state === 'queued') {
        this.move(q, 'running');
      }
      try {
        await this.handle(inst, q, next, options);
      } catch (err) {
        // A number check that timed out or lost its connection: nothing was sent, so the turn
        // is simply taken again (after the instance is back, when it is gone), never skipped.
        this.logger.warn({ err, queueId, position: next.position }, 'queue turn failed; trying again');
        await sleep(RETRY_TURN_MS);
      }
    }
  }

  /** A queue that cannot go on now: says so once with paused.queue and a reason. */
  private hold(inst: LiveInstance, q: QueueRow, reason: string): void {
    if (q.state === 'waiting' && q.reason === reason) return;
    this.move(q, 'waiting', reason);
    this.events.action(inst, q, 'pause', reason);
  }

  private async handle(inst: LiveInstance, q: QueueRow, r: RecipientRow, options: RunOptions): Promise<void> {
    if (r.state === 'sending' && options.onUncertain === 'skip') {
      // Left `sending` by a crash: the stanza may have reached WhatsApp; at most once means not again.
      return this.uncertain(inst, q, r, 'delivery uncertain after a restart; not sent again');
    }
    if (r.state === 'pending' && r.jid === null && r.error === null && isJidGroup(toJid(r.number)) && (await this.refusedGroup(inst, q, r))) return;
    if (r.state === 'pending' && r.jid === null && r.error === null && !skipsNumberCheck(toJid(r.number))) await this.checkAhead(inst, q, r);
    // Re-read: the check above may have stored its JID or that it is not on WhatsApp.
    const fresh = this.storage.queues.recipient(q.id, r.position)!;
    if (fresh.error === NOT_ON_WHATSAPP) {
      const e = { number: r.number, status: 404, error: 'Not Found', message: 'The number entered is not a valid whatsapp contact' };
      return this.settle(inst, q, fresh, 'failed', {}, () => this.events.failed(q, e));
    }
    this.inFlight.add(q.id);
    try {
      await this.scheduler.run(inst.row.name, () => this.send(inst, q, fresh, options), PRIORITY.bulk);
    } finally {
      this.inFlight.delete(q.id);
      const after = this.storage.queues.get(q.id);
      if (after?.state === 'pausing') {
        this.move(after, 'paused', after.reason);
        this.events.action(inst, after, 'pause', after.reason);
      }
    }
  }

  /** One attempt for one recipient, on the instance's line. */
  private async send(inst: LiveInstance, q: QueueRow, r: RecipientRow, options: RunOptions): Promise<void> {
    // The pause between two sends of this instance, then a last look: a pause or delete wins over this send.
    // No timer at zero delay: a timer's turn of the event loop is most of a fast send's cost.
    const delay = options.minDelayMs + Math.random() * (options.maxDelayMs - options.minDelayMs);
    if (delay > 0) await sleep(delay);
    const now = this.storage.queues.get(q.id);
    const sock = inst.session.socket;
    if (!now || now.state !== 'running' || !sock) return;
    const jid = r.jid ?? toJid(r.number);
    const messageId = r.message_id ?? generateMessageIDV2(sock.user?.id);
    const attempt = r.attempts + 1;
    // Committed before the stanza goes out: whatever happens next, a retry reuses this ID.
    this.moveRecipient(r, 'sending', { message_id: messageId, jid, attempts: attempt });
    const sending: RecipientRow = { ...r, state: 'sending', message_id: messageId, jid, attempts: attempt };
    const message = JSON.parse(q.message) as MessageInput;
    if (options.composing && 'text' in message) {
      await sock.sendPresenceUpdate('composing', jid).catch(() => undefined);
      await sleep(Math.min(5000, 300 + message.text.length * 30));
      await sock.sendPresenceUpdate('paused', jid).catch(() => undefined);
    }
    let outcome;
    const start = process.hrtime.bigint();
    try {
      outcome = await sendAndConfirm(sock, jid, baileysContent(message, this.options.mediaPathOf), messageId, this.options.ackTimeoutMs);
    } catch (err) {
      if (!(err instanceof TransientSendError)) throw err;
      return this.transient(inst, q, sending, attempt, err, options);
    }
    if (outcome.kind === 'refused') {
      const e = { number: r.number, jid, status: outcome.code, error: refusalName(outcome.code), message: `WhatsApp refused the message (error ${outcome.code})` };
      return this.settle(inst, q, sending, 'failed', { error: `refused by WhatsApp: ${outcome.code}` }, () => this.events.failed(q, e));
    }
    this.settle(inst, q, sending, 'sent', {}, progress => this.events.processing(q, messageId, jid, progress));
    this.registry.noteSend(inst, secondsSince(start));
  }

  /**
   * No answer in time, or the connection went away: the recipient stays `sending`
   * with its ID and the next turn tries again (after waiting for the instance when
   * it is gone), up to `maxAttempts`; then it fails with 408 or 503.
   */
  private transient(inst: LiveInstance, q: QueueRow, r: RecipientRow, attempt: number, err: TransientSendError, options: RunOptions): void {
    if (err.uncertain && options.onUncertain === 'skip') return this.uncertain(inst, q, r, `delivery uncertain (${err.message}); not sent again`);
    if (attempt < this.options.maxAttempts) {
      this.logger.warn({ err, queueId: q.id, position: r.position, attempt }, 'send not confirmed; will retry with the same ID');
      return;
    }
    const [status, error] = err.reason === 'timeout' ? [408, 'Request Timeout'] : [503, 'Service Unavailable'];
    const e = { number: r.number, jid: r.jid ?? undefined, status, error, message: `${err.message}; gave up after ${attempt} attempts` };
    this.settle(inst, q, r, 'failed', { error: `${err.message} (${attempt} attempts)` }, () => this.events.failed(q, e));
  }

  private uncertain(inst: LiveInstance, q: QueueRow, r: RecipientRow, why: string): void {
    const e = { number: r.number, jid: r.jid ?? undefined, status: 409, error: 'Conflict', message: why };
    this.settle(inst, q, r, 'unknown', { error: why }, () => this.events.failed(q, e));
  }

  /** A group the account cannot write to fails its recipient with the hub's refusal (404 unknown, 403 not in it); true when it did. */
  private async refusedGroup(inst: LiveInstance, q: QueueRow, r: RecipientRow): Promise<boolean> {
    const sock = inst.session.socket;
    const jid = toJid(r.number);
    if (!sock || !this.options.checkGroup) return false;
    try {
      await this.options.checkGroup(inst.row.name, sock, jid);
      this.storage.queues.updateRecipient(q.id, r.position, { jid });
      return false;
    } catch (err) {
      const body = toErrorBody(err);
      // WhatsApp not answering is transient: the turn is taken again, as for any other recipient.
      if (body.status >= 500) throw err;
      const e = { number: r.number, jid, ...body };
      this.settle(inst, q, r, 'failed', { error: body.message }, () => this.events.failed(q, e));
      return true;
    }
  }

  /** Asks WhatsApp about this recipient and the next few pending ones in one paced request. */
  private async checkAhead(inst: LiveInstance, q: QueueRow, from: RecipientRow): Promise<void> {
    const sock = inst.session.socket;
    if (!sock) return;
    const batch = this.storage.queues.unchecked(q.id, from.position, CHECK_BATCH).filter(r => !skipsNumberCheck(toJid(r.number)));
    const found = await lookUpNumbers(sock, batch.map(r => r.number));
    // The batch's answers commit together: one commit per check, not one per number.
    this.storage.transaction(() => {
      for (const r of batch) {
        const jid = found.get(r.number);
        this.storage.queues.updateRecipient(q.id, r.position, jid ? { jid } : { error: NOT_ON_WHATSAPP });
      }
    });
  }

  private complete(inst: LiveInstance, q: QueueRow): void {
    this.move(q, 'completed');
    this.events.completed(inst, q);
    // The finished queue is cleared, as the contract says, right after COMPLETED.
    this.events.action(inst, q, 'delete', 'completed');
  }
}
