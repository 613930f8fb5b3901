import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { EventLog, InstanceId, LoggedEvent, WebhookRow, WebhooksRepository } from '../../storage/index.js';
import { signatureHeaders } from './signing.js';

/** How deliveries are tried. */
export interface DeliveryOptions {
  maxAttempts: number;
  timeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Entries read from the log at a time: all a slow receiver costs in memory. */
  pageSize: number;
}

/** Doubling from the base up to the cap, each ±25 %, so webhooks that failed together do not retry together. */
export function backoffDelay(attempt: number, opts: Pick<DeliveryOptions, 'backoffBaseMs' | 'backoffMaxMs'>, random = Math.random): number {
  const nominal = opts.backoffBaseMs * 2 ** Math.min(attempt - 1, 30);
  return Math.round(Math.min(opts.backoffMaxMs, nominal * (0.75 + random() * 0.5)));
}

/**
 * Delivers one webhook's events, one POST at a time, in seq order, straight from
 * the event log after the webhook's durable cursor: nothing waits in memory for
 * a slow receiver, and a restart resumes at the first unacknowledged event.
 */
export class WebhookWorker {
  private running?: Promise<void>;
  private again = false;
  /** Bumped when the row changes under the worker: an attempt begun before is dropped. */
  private generation = 0;
  private inFlight?: AbortController;
  private closed = false;

  constructor(
    readonly id: string,
    private readonly repo: WebhooksRepository,
    private readonly events: EventLog,
    private readonly opts: DeliveryOptions,
    private readonly log: Logger,
    /** Runs the cursor's writes: fenced by the instance's lease token in a cluster. */
    private readonly write: <T>(instanceId: InstanceId, fn: () => T) => T = (_, fn) => fn()
  ) {}

  /** New events were committed: look again. Never waits, so the pipeline never waits on a receiver. */
  wake(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => (this.running = undefined));
  }

  /** The row changed (redelivery, new URL or secret, disabled): drop the attempt or the wait in progress and start over from the store. */
  reset(): void {
    this.generation++;
    this.inFlight?.abort();
    this.wake();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.generation++;
    this.inFlight?.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.drain(this.generation);
      } catch (err) {
        // A store error: the next wake tries again; events stay in the log meanwhile.
        this.log.error({ err, webhook: this.id }, 'webhook delivery stopped');
      }
    } while (this.again && !this.closed);
  }

  private async drain(generation: number): Promise<void> {
    for (;;) {
      if (this.closed) return;
      if (generation !== this.generation) {
        this.again = true;
        return;
      }
      const row = this.repo.get(this.id);
      if (!row || !row.enabled) return;
      const last = this.events.lastSeq(row.instance_id);
      const page = this.repo.pendingEvents(row.instance_id, row.cursor, row.events, this.opts.pageSize);
      if (page.length === 0) {
        // Everything after the cursor is filtered out (or pruned): pass it, so retention may take it.
        if (last > row.cursor) this.write(row.instance_id, () => this.repo.update(this.id, { cursor: last, attempts: 0 }));
        return;
      }
      let attempts = row.attempts;
      for (const entry of page) {
        if (!(await this.deliver(row, entry, attempts, generation))) return this.drainAgain();
        attempts = 0;
      }
    }
  }

  private drainAgain(): void {
    if (!this.closed) this.again = true;
  }

  /** Tries one event until it is acknowledged or given up on; false when the row changed meanwhile. */
  private async deliver(row: WebhookRow, entry: LoggedEvent, attemptsSoFar: number, generation: number): Promise<boolean> {
    let attempts = attemptsSoFar;
    for (;;) {
      attempts++;
      const error = await this.post(row, entry);
      if (generation !== this.generation) return false;
      if (error === undefined) {
        this.write(row.instance_id, () => this.repo.acknowledge(this.id, entry.seq));
        return true;
      }
      if (attempts >= this.opts.maxAttempts) {
        this.write(row.instance_id, () => this.repo.giveUp(this.id, { seq: entry.seq, event: entry.event, payload: entry.payload, attempts, last_error: error }));
        this.log.warn({ webhook: this.id, seq: entry.seq, attempts, error }, 'webhook event moved to dead letters');
        return true;
      }
      this.write(row.instance_id, () => this.repo.update(this.id, { attempts, status: 'retrying', last_error: error }));
      const waiting = new AbortController();
      this.inFlight = waiting;
      await sleep(backoffDelay(attempts, this.opts), undefined, { signal: waiting.signal }).catch(() => undefined);
      if (generation !== this.generation) return false;
    }
  }

  /** One POST; answers why it failed, or undefined on a 2xx. */
  private async post(row: WebhookRow, entry: LoggedEvent): Promise<string | undefined> {
    const delivery = `${row.instance_id}:${entry.seq}`;
    const controller = new AbortController();
    this.inFlight = controller;
    // One controller ends the POST on a timeout and on a reset, without a composite signal per request.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.opts.timeoutMs);
    try {
      const res = await fetch(row.url, {
        method: 'POST',
        // A redirect is a failure, not followed: it could lead to an address the URL check refused.
        redirect: 'manual',
        signal: controller.signal,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'wahub-webhooks',
          'x-wahub-event': entry.event,
          'x-wahub-delivery': delivery,
          ...signatureHeaders(row.secret, delivery, entry.payload)
        },
        body: entry.payload
      });
      // The body is not needed; cancelling it frees the connection for the next POST.
      await res.body?.cancel().catch(() => undefined);
      return res.status >= 200 && res.status < 300 ? undefined : `HTTP ${res.status}`;
    } catch (err) {
      if (timedOut) return `timed out after ${this.opts.timeoutMs} ms`;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return cause?.code ?? cause?.message ?? (err as Error).message;
    } finally {
      clearTimeout(timer);
    }
  }
}
