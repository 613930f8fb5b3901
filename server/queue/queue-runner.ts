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
import { refusalName, sendWatched, TransientSendError, type PendingAck } from './whatsapp-ack.js';
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
/**
 * Sends a queue keeps in flight at zero delay without typing: each one waits for
 * WhatsApp's ack while the next ones are written, instead of a round trip per
 * recipient. With a delay or typing, one at a time: the pause is the point.
 */
export const SEND_WINDOW = 8;

const windowOf = (o: RunOptions): number => (o.minDelayMs === 0 && o.maxDelayMs === 0 && !o.composing ? SEND_WINDOW : 1);

/** A recipient whose stanza is written (committed `sending` with its ID first), waiting for WhatsApp's answer. */
interface InFlight {
  inst: LiveInstance;
  q: QueueRow;
  r: RecipientRow;
  attempt: number;
  ack: PendingAck;
  start: bigint;
}

/** What a turn found before any send: a recipient to send to, or an outcome known without sending. */
type Prepared = { kind: 'send'; r: RecipientRow } | { kind: 'settled'; apply: () => void };

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

  /** The queue's own move, fenced like its recipients' marks: a node fenced out moves nothing. */
  private move(inst: LiveInstance, q: QueueRow, to: QueueState, reason: string | null = null): void {
    assertMove(q.state as QueueState, to);
    this.registry.write(inst, () => this.storage.queues.setState(q.id, to, reason));
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

  /**
   * Walks the queue in recipient order with up to `windowOf(options)` sends in
   * flight. Outcomes commit in recipient order (the oldest send in flight is
   * settled first, whatever order the acks come in), and whatever stops the
   * queue (pause, delete, a hold, the daily cap, the end) lets the sends in
   * flight settle before it acts. A send to be tried again (no ack in time, the
   * connection gone) goes again, with its ID, once those behind it have settled.
   */
  private async walk(queueId: string): Promise<void> {
    // The next open recipient is never before this position, except one sent again.
    let cursor = 0;
    const window: InFlight[] = [];
    let retrying = false;
    const settleOldest = async () => {
      const head = window.shift()!;
      if (await this.conclude(head)) {
        cursor = Math.min(cursor, head.r.position);
        retrying = true;
      }
      if (!window.length) {
        retrying = false;
        this.windowEmptied(queueId);
      }
    };
    for (;;) {
      const q = this.storage.queues.get(queueId);
      const inst = q && this.instanceOf(q);
      const options = q && (JSON.parse(q.options) as RunOptions);
      const state = q?.state as QueueState | undefined;
      // In a cluster the queue runs where its instance runs. Sends in flight are left as a crash leaves them
      // (committed `sending` with their IDs): the next owner resumes from the stored state when the instance opens there.
      if (inst && !this.registry.owns(inst)) return;
      const stopped = !q || !inst || !options || this.closed || state === 'paused' || state === 'deleted' || state === 'completed' || state === 'pausing';
      const capped = !!options?.dailyCap && !!inst && sendsToday(this.storage, inst.row.id) + window.length >= options.dailyCap;
      if (window.length && (stopped || capped || retrying || !inst.session.socket || window.length >= windowOf(options))) {
        await settleOldest();
        continue;
      }
      if (stopped) return;
      // Held queues are started again by the instance's next open, or by the wake-up at midnight.
      if (!inst.session.socket) return this.hold(inst, q, HOLD_DISCONNECTED);
      if (capped) {
        this.hold(inst, q, HOLD_DAILY_CAP);
        this.cancelWake(queueId);
        this.wake.set(queueId, setTimeout(() => this.start(queueId), nextDay() - Date.now() + 1000).unref());
        return;
      }
      const next = this.storage.queues.nextOpen(queueId, cursor);
      if (!next) {
        if (window.length) await settleOldest();
        else return this.complete(inst, q);
        continue;
      }
      if (state === 'waiting') {
        // The hold is over by itself: say so, with what it was waiting for.
        this.move(inst, q, 'running');
        this.events.action(inst, q, 'resume', q.reason);
      } else if (state === 'queued') {
        this.move(inst, q, 'running');
      }
      try {
        const prepared = await this.prepare(inst, q, next, options);
        if (prepared.kind === 'settled') {
          // Known without a send, but committed in order: after the sends before it.
          if (window.length) await settleOldest();
          else prepared.apply();
          continue;
        }
        this.inFlight.add(queueId);
        const sent = await this.scheduler.run(inst.row.name, () => this.write(inst, q, prepared.r, options), PRIORITY.bulk);
        if (sent) {
          window.push(sent);
          cursor = next.position + 1;
        } else if (!window.length) this.windowEmptied(queueId);
      } catch (err) {
        if (!window.length) this.windowEmptied(queueId);
        // A number check that timed out or lost its connection: nothing was sent, so the turn
        // is simply taken again (after the instance is back, when it is gone), never skipped.
        this.logger.warn({ err, queueId, position: next.position }, 'queue turn failed; trying again');
        await sleep(RETRY_TURN_MS);
      }
    }
  }

  /** Nothing of this queue is in flight any more: a pause asked for meanwhile takes effect now. */
  private windowEmptied(queueId: string): void {
    this.inFlight.delete(queueId);
    const after = this.storage.queues.get(queueId);
    const inst = after && this.instanceOf(after);
    if (after?.state === 'pausing' && inst) {
      this.move(inst, after, 'paused', after.reason);
      this.events.action(inst, after, 'pause', after.reason);
    }
  }

  /** A queue that cannot go on now: says so once with paused.queue and a reason. */
  private hold(inst: LiveInstance, q: QueueRow, reason: string): void {
    if (q.state === 'waiting' && q.reason === reason) return;
    this.move(inst, q, 'waiting', reason);
    this.events.action(inst, q, 'pause', reason);
  }

  /** The checks before a send: a recipient left mid-send by a crash, a group, the number. */
  private async prepare(inst: LiveInstance, q: QueueRow, r: RecipientRow, options: RunOptions): Promise<Prepared> {
    if (r.state === 'sending' && options.onUncertain === 'skip') {
      // Left `sending` by a crash: the stanza may have reached WhatsApp; at most once means not again.
      return { kind: 'settled', apply: () => this.uncertain(inst, q, r, 'delivery uncertain after a restart; not sent again') };
    }
    if (r.state === 'pending' && r.jid === null && r.error === null && isJidGroup(toJid(r.number))) {
      const refused = await this.refusedGroup(inst, q, r);
      if (refused) return { kind: 'settled', apply: refused };
    }
    if (r.state === 'pending' && r.jid === null && r.error === null && !skipsNumberCheck(toJid(r.number))) await this.checkAhead(inst, q, r);
    // Re-read: the check above may have stored its JID or that it is not on WhatsApp.
    const fresh = this.storage.queues.recipient(q.id, r.position)!;
    if (fresh.error === NOT_ON_WHATSAPP) {
      const e = { number: r.number, status: 404, error: 'Not Found', message: 'The number entered is not a valid whatsapp contact' };
      return { kind: 'settled', apply: () => this.settle(inst, q, fresh, 'failed', {}, () => this.events.failed(q, e)) };
    }
    return { kind: 'send', r: fresh };
  }

  /**
   * One attempt for one recipient, on the instance's line until its stanza is
   * written (the ack is waited for off the line); undefined when a pause or
   * delete won over it, or the connection is gone.
   */
  private async write(inst: LiveInstance, q: QueueRow, r: RecipientRow, options: RunOptions): Promise<InFlight | undefined> {
    // The pause between two sends of this instance, then a last look: a pause or delete wins over this send.
    // No timer at zero delay: a timer's turn of the event loop is most of a fast send's cost.
    const delay = options.minDelayMs + Math.random() * (options.maxDelayMs - options.minDelayMs);
    if (delay > 0) await sleep(delay);
    const now = this.storage.queues.get(q.id);
    const sock = inst.session.socket;
    if (!now || now.state !== 'running' || !sock) return undefined;
    const jid = r.jid ?? toJid(r.number);
    const messageId = r.message_id ?? generateMessageIDV2(sock.user?.id);
    const attempt = r.attempts + 1;
    // Committed before the stanza goes out: whatever happens next, a retry reuses this ID.
    // Fenced: a node that lost the instance's lease must not send in the new owner's place.
    this.registry.write(inst, () => this.moveRecipient(r, 'sending', { message_id: messageId, jid, attempts: attempt }));
    const sending: RecipientRow = { ...r, state: 'sending', message_id: messageId, jid, attempts: attempt };
    const message = JSON.parse(q.message) as MessageInput;
    if (options.composing && 'text' in message) {
      await sock.sendPresenceUpdate('composing', jid).catch(() => undefined);
      await sleep(Math.min(5000, 300 + message.text.length * 30));
      await sock.sendPresenceUpdate('paused', jid).catch(() => undefined);
    }
    const start = process.hrtime.bigint();
    const ack = await sendWatched(sock, jid, baileysContent(message, this.options.mediaPathOf), messageId, this.options.ackTimeoutMs);
    return { inst, q, r: sending, attempt, ack, start };
  }

  /** Settles a send with WhatsApp's answer; true when it is to be tried again. */
  private async conclude({ inst, q, r, attempt, ack, start }: InFlight): Promise<boolean> {
    const outcome = await ack.answer;
    if (outcome instanceof TransientSendError) return this.transient(inst, q, r, attempt, outcome, JSON.parse(q.options) as RunOptions);
    if (outcome.kind === 'refused') {
      const jid = r.jid!;
      const e = { number: r.number, jid, status: outcome.code, error: refusalName(outcome.code), message: `WhatsApp refused the message (error ${outcome.code})` };
      this.settle(inst, q, r, 'failed', { error: `refused by WhatsApp: ${outcome.code}` }, () => this.events.failed(q, e));
      return false;
    }
    this.settle(inst, q, r, 'sent', {}, progress => this.events.processing(q, r.message_id!, r.jid!, progress));
    this.registry.noteSend(inst, secondsSince(start));
    return false;
  }

  /**
   * No answer in time, or the connection went away: the recipient stays `sending`
   * with its ID and the next turn tries again (after waiting for the instance when
   * it is gone), up to `maxAttempts`; then it fails with 408 or 503.
   */
  private transient(inst: LiveInstance, q: QueueRow, r: RecipientRow, attempt: number, err: TransientSendError, options: RunOptions): boolean {
    if (err.uncertain && options.onUncertain === 'skip') {
      this.uncertain(inst, q, r, `delivery uncertain (${err.message}); not sent again`);
      return false;
    }
    if (attempt < this.options.maxAttempts) {
      this.logger.warn({ err, queueId: q.id, position: r.position, attempt }, 'send not confirmed; will retry with the same ID');
      return true;
    }
    const [status, error] = err.reason === 'timeout' ? [408, 'Request Timeout'] : [503, 'Service Unavailable'];
    const e = { number: r.number, jid: r.jid ?? undefined, status, error, message: `${err.message}; gave up after ${attempt} attempts` };
    this.settle(inst, q, r, 'failed', { error: `${err.message} (${attempt} attempts)` }, () => this.events.failed(q, e));
    return false;
  }

  private uncertain(inst: LiveInstance, q: QueueRow, r: RecipientRow, why: string): void {
    const e = { number: r.number, jid: r.jid ?? undefined, status: 409, error: 'Conflict', message: why };
    this.settle(inst, q, r, 'unknown', { error: why }, () => this.events.failed(q, e));
  }

  /** A group the account cannot write to fails its recipient with the hub's refusal (404 unknown, 403 not in it): that settle, to apply. */
  private async refusedGroup(inst: LiveInstance, q: QueueRow, r: RecipientRow): Promise<(() => void) | undefined> {
    const sock = inst.session.socket;
    const jid = toJid(r.number);
    if (!sock || !this.options.checkGroup) return undefined;
    try {
      await this.options.checkGroup(inst.row.name, sock, jid);
      this.registry.write(inst, () => this.storage.queues.updateRecipient(q.id, r.position, { jid }));
      return undefined;
    } catch (err) {
      const body = toErrorBody(err);
      // WhatsApp not answering is transient: the turn is taken again, as for any other recipient.
      if (body.status >= 500) throw err;
      const e = { number: r.number, jid, ...body };
      return () => this.settle(inst, q, r, 'failed', { error: body.message }, () => this.events.failed(q, e));
    }
  }

  /** Asks WhatsApp about this recipient and the next few pending ones in one paced request. */
  private async checkAhead(inst: LiveInstance, q: QueueRow, from: RecipientRow): Promise<void> {
    const sock = inst.session.socket;
    if (!sock) return;
    const batch = this.storage.queues.unchecked(q.id, from.position, CHECK_BATCH).filter(r => !skipsNumberCheck(toJid(r.number)));
    const found = await lookUpNumbers(sock, batch.map(r => r.number));
    // The batch's answers commit together: one commit per check, not one per number.
    this.registry.write(inst, () => {
      for (const r of batch) {
        const jid = found.get(r.number);
        this.storage.queues.updateRecipient(q.id, r.position, jid ? { jid } : { error: NOT_ON_WHATSAPP });
      }
    });
  }

  private complete(inst: LiveInstance, q: QueueRow): void {
    this.move(inst, q, 'completed');
    this.events.completed(inst, q);
    // The finished queue is cleared, as the contract says, right after COMPLETED.
    this.events.action(inst, q, 'delete', 'completed');
  }
}
