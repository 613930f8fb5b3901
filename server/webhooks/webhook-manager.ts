import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { CommandArgs, CommandResult, EventName } from '../../protocol/index.js';
import type { InstanceId, Storage, WebhookRow } from '../../storage/index.js';
import type { Principal } from '../auth/principal.js';
import { Errors } from '../errors.js';
import type { EventSink } from '../events/event-pipeline.js';
import { refuseWebhookUrl } from './address-check.js';
import { newWebhookSecret } from './signing.js';
import { WebhookWorker, type DeliveryOptions } from './webhook-worker.js';

/** The hub-wide webhook from `WEBHOOK_URL`; each instance gets its own row of it, with its own cursor. */
export interface GlobalWebhook {
  url: string;
  secret: string;
  events: EventName[] | null;
}

/** Webhooks an instance may have: each is a worker and a connection, so there is a bound. */
const MAX_PER_INSTANCE = 20;
const GLOBAL_SECRET_KEY = 'webhook.global_secret';

type Info = CommandResult<'webhook.find'>[number];

/**
 * Owns one worker per webhook, wakes them when the pipeline commits events (as
 * an event sink that never waits), and answers the webhook commands.
 */
export class WebhookManager {
  private readonly workers = new Map<string, WebhookWorker>();
  private readonly byInstance = new Map<InstanceId, Set<WebhookWorker>>();
  private readonly globalKnown = new Set<InstanceId>();
  private global?: GlobalWebhook;
  /** In a cluster, whether this node runs the instance: only the owner delivers its webhooks. */
  private runsHere: (id: InstanceId) => boolean = () => true;

  constructor(
    private readonly storage: Storage,
    private readonly delivery: DeliveryOptions,
    private readonly allowPrivate: boolean,
    private readonly log: Logger
  ) {}

  /** The sink the pipeline publishes to: it only flags workers, so a slow receiver never slows the pipeline. */
  readonly sink: EventSink = {
    name: 'webhooks',
    publish: (source, envelope) => {
      if (!this.runsHere(source.id)) return;
      if (this.global && !this.globalKnown.has(source.id)) this.ensureGlobal(source.id, envelope.seq - 1);
      for (const worker of this.byInstance.get(source.id) ?? []) worker.wake();
    }
  };

  /**
   * Brings the global rows in line with the configuration (every instance gets
   * one, starting at its current seq; without `WEBHOOK_URL` they go), then starts
   * a worker per webhook, which resumes after its cursor.
   */
  start(global?: { url: string; secret?: string; events: EventName[] | null }): void {
    if (global) {
      const secret = global.secret ?? this.storedGlobalSecret();
      this.global = { url: global.url, secret, events: global.events };
      for (const instance of this.storage.instances.list()) if (this.runsHere(instance.id)) this.ensureGlobal(instance.id, this.storage.events.lastSeq(instance.id));
    } else {
      for (const row of this.storage.webhooks.listAll()) if (row.global) this.storage.webhooks.delete(row.id);
    }
    for (const row of this.storage.webhooks.listAll()) if (this.runsHere(row.instance_id)) this.workerFor(row).wake();
  }

  /** In a cluster: workers run only for the instances this node holds (`adopt`, `disown`). */
  /**
   * A webhook command's write: fenced when this node holds the instance (FencedOutError
   * when the store took a newer token), a plain transaction when nobody here runs it.
   */
  private edit<T>(instanceId: InstanceId, fn: () => T): T {
    return this.runsHere(instanceId) ? this.storage.write(instanceId, fn) : this.storage.transaction(fn);
  }

  placeWith(runsHere: (id: InstanceId) => boolean): void {
    this.runsHere = runsHere;
  }

  /** This node holds the instance now: its webhooks resume after their stored cursors. */
  adopt(instanceId: InstanceId): void {
    if (this.global) this.ensureGlobal(instanceId, this.storage.events.lastSeq(instanceId));
    for (const row of this.storage.webhooks.listByInstance(instanceId)) this.workerFor(row).wake();
  }

  /** This node no longer holds the instance: its workers stop (the next owner resumes from their cursors). */
  async disown(instanceId: InstanceId): Promise<void> {
    const workers = [...(this.byInstance.get(instanceId) ?? [])];
    this.byInstance.delete(instanceId);
    for (const worker of workers) this.workers.delete(worker.id);
    await Promise.all(workers.map(w => w.close()));
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers.values()].map(w => w.close()));
    this.workers.clear();
    this.byInstance.clear();
  }

  /** An instance was deleted: its rows went with it by cascade; its workers stop. */
  forgetInstance(instanceId: InstanceId): void {
    for (const worker of this.byInstance.get(instanceId) ?? []) {
      void worker.close();
      this.workers.delete(worker.id);
    }
    this.byInstance.delete(instanceId);
    this.globalKnown.delete(instanceId);
  }

  async set(instanceId: InstanceId, args: CommandArgs<'webhook.set'>, principal: Principal): Promise<CommandResult<'webhook.set'>> {
    // The admin runs the hub and may point it anywhere; an instance token must not reach inside the hub's network.
    const refused = await refuseWebhookUrl(args.url, this.allowPrivate || principal.kind === 'admin');
    if (refused) throw new Errors.badRequest(refused);
    const events = args.events ? JSON.stringify(args.events) : null;
    const existing = this.storage.webhooks.listByInstance(instanceId).find(w => !w.global && w.url === args.url);
    let row: WebhookRow;
    if (existing) {
      this.edit(instanceId, () =>
        this.storage.webhooks.update(existing.id, {
          ...(args.events ? { events } : {}),
          ...(args.enabled !== undefined ? { enabled: args.enabled ? 1 : 0 } : {}),
          ...(args.secret ? { secret: args.secret } : {})
        })
      );
      row = this.storage.webhooks.get(existing.id)!;
      if (this.runsHere(row.instance_id)) this.workerFor(row).reset();
    } else {
      if (this.storage.webhooks.listByInstance(instanceId).filter(w => !w.global).length >= MAX_PER_INSTANCE) {
        throw new Errors.badRequest(`an instance has at most ${MAX_PER_INSTANCE} webhooks`);
      }
      row = this.edit(instanceId, () =>
        this.storage.webhooks.create({
          id: randomUUID(),
          instance_id: instanceId,
          url: args.url,
          events,
          enabled: args.enabled === false ? 0 : 1,
          secret: args.secret ?? newWebhookSecret(),
          // A new webhook receives what happens from now on; redeliver reaches back.
          cursor: this.storage.events.lastSeq(instanceId)
        })
      );
      if (this.runsHere(row.instance_id)) this.workerFor(row).wake();
    }
    const { global: _global, lastError: _lastError, lastDeliveredSeq: _seq, pending: _pending, ...webhook } = this.info(row);
    return { webhook, secret: row.secret };
  }

  find(instanceId: InstanceId): CommandResult<'webhook.find'> {
    return this.storage.webhooks.listByInstance(instanceId).map(row => this.info(row));
  }

  async delete(instanceId: InstanceId, id: string): Promise<CommandResult<'webhook.delete'>> {
    const row = this.own(instanceId, id);
    if (row.global) throw new Errors.badRequest('the global webhook is configured by WEBHOOK_URL');
    const worker = this.workers.get(id);
    if (worker) {
      await worker.close();
      this.workers.delete(id);
      this.byInstance.get(instanceId)?.delete(worker);
    }
    this.edit(instanceId, () => this.storage.webhooks.delete(id));
    return { deleted: id };
  }

  deliveries(instanceId: InstanceId, id?: string): CommandResult<'webhook.deliveries'> {
    if (id !== undefined) this.own(instanceId, id);
    return this.storage.webhooks.deadLetters(instanceId, id).map(d => ({
      webhookId: d.webhook_id,
      seq: d.seq,
      event: d.event,
      attempts: d.attempts,
      lastError: d.last_error,
      failedAt: d.failed_at,
      envelope: JSON.parse(d.payload) as unknown
    }));
  }

  redeliver(instanceId: InstanceId, id: string, fromSeq: number): CommandResult<'webhook.redeliver'> {
    const row = this.own(instanceId, id);
    const last = this.storage.events.lastSeq(instanceId);
    if (fromSeq > last) throw new Errors.badRequest(`fromSeq ${fromSeq} is after the last event (${last})`);
    this.edit(instanceId, () => this.storage.webhooks.rewind(id, fromSeq));
    if (this.runsHere(row.instance_id)) this.workerFor(row).reset();
    return this.info(this.storage.webhooks.get(id)!);
  }

  private own(instanceId: InstanceId, id: string): WebhookRow {
    const row = this.storage.webhooks.get(id);
    if (!row || row.instance_id !== instanceId) throw new Errors.webhookNotFound(id);
    return row;
  }

  private info(row: WebhookRow): Info {
    return {
      id: row.id,
      url: row.url,
      events: row.events ? (JSON.parse(row.events) as EventName[]) : null,
      enabled: row.enabled === 1,
      status: row.status as Info['status'],
      global: row.global === 1,
      lastError: row.last_error,
      lastDeliveredSeq: row.cursor,
      pending: this.storage.webhooks.countPending(row.instance_id, row.cursor, row.events)
    };
  }

  private workerFor(row: WebhookRow): WebhookWorker {
    let worker = this.workers.get(row.id);
    if (!worker) {
      worker = new WebhookWorker(row.id, this.storage.webhooks, this.storage.events, this.delivery, this.log, (id, fn) => this.storage.write(id, fn));
      this.workers.set(row.id, worker);
      let set = this.byInstance.get(row.instance_id);
      if (!set) this.byInstance.set(row.instance_id, (set = new Set()));
      set.add(worker);
    }
    return worker;
  }

  /** The instance's row of the global webhook, created at `cursor` when missing and kept in line with the configuration. */
  private ensureGlobal(instanceId: InstanceId, cursor: number): void {
    const global = this.global!;
    const events = global.events ? JSON.stringify(global.events) : null;
    const row = this.storage.webhooks.globalOf(instanceId);
    if (!row) {
      const created = this.storage.webhooks.create({ id: randomUUID(), instance_id: instanceId, global: 1, url: global.url, events, enabled: 1, secret: global.secret, cursor });
      this.workerFor(created);
    } else if (row.url !== global.url || row.events !== events || row.secret !== global.secret || !row.enabled) {
      this.storage.webhooks.update(row.id, { url: global.url, events, secret: global.secret, enabled: 1 });
    }
    this.globalKnown.add(instanceId);
  }

  /** Without `WEBHOOK_SECRET`, one is generated on the first start and kept, so receivers keep verifying across restarts. */
  private storedGlobalSecret(): string {
    const stored = this.storage.settings.get(GLOBAL_SECRET_KEY);
    if (stored) return stored;
    const secret = newWebhookSecret();
    this.storage.settings.set(GLOBAL_SECRET_KEY, secret);
    this.log.warn({ secret }, 'generated the global webhook secret (WEBHOOK_SECRET); it is shown only this once');
    return secret;
  }
}
