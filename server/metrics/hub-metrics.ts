import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HubObserver } from './hub-observer.js';

/** What the metrics read at scrape time, rather than counting as it happens. */
export interface MetricSources {
  /** Instances by their `instance.state` state. */
  instanceStates(): Record<string, number>;
  /** Connected socket clients and their subscriptions. */
  sockets(): { clients: Record<string, number>; subscriptions: number };
  /** Clients closed as too slow since start, by transport. */
  droppedTooSlow(): Record<string, number>;
  /** Bulk-send recipients by state, over every queue. */
  queueRecipients(): Record<string, number>;
  /** Enabled webhooks by status, how far their cursors are behind their instance's log, and their dead letters. */
  webhooks(): { byStatus: Record<string, number>; lagEvents: number; deadLetters: number };
  /** Instances by the WhatsApp Web version their connection announced. */
  waVersions(): Record<string, number>;
}

/** Commits and sends are milliseconds when healthy; the top buckets catch a stalled disk or WhatsApp. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The hub's Prometheus metrics, on a registry of its own (not prom-client's
 * global one), so that every app built in one process has its own numbers.
 */
export class HubMetrics {
  readonly registry = new Registry();
  readonly observer: HubObserver;
  private sources?: MetricSources;
  /** What several families of one scrape share (see `text`). */
  private scrape?: { webhooks: ReturnType<MetricSources['webhooks']> };

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const events = new Counter({ name: 'wahub_events_committed_total', help: 'Events stored in the event log and fanned out, by event name', labelNames: ['event'], registers });
    const commit = new Histogram({ name: 'wahub_event_commit_seconds', help: 'Time of one event-pipeline transaction (store writes and event-log entries)', buckets: LATENCY_BUCKETS, registers });
    const send = new Histogram({ name: 'wahub_send_seconds', help: 'Time from handing a message to WhatsApp until it was taken (bulk: its server ack)', buckets: LATENCY_BUCKETS, registers });
    const reconnects = new Counter({ name: 'wahub_reconnects_total', help: 'Connections to WhatsApp opened again after a close, by close status code', labelNames: ['code'], registers });
    this.observer = {
      eventsCommitted: (names, seconds) => {
        commit.observe(seconds);
        for (const name of names) events.inc({ event: name });
      },
      sent: seconds => send.observe(seconds),
      reconnecting: code => reconnects.inc({ code: String(code) })
    };
    const read = <T>(pick: (s: MetricSources) => T): T | undefined => (this.sources ? pick(this.sources) : undefined);
    this.gauge('wahub_instances', 'Instances by state', 'state', () => read(s => s.instanceStates()));
    this.gauge('wahub_socket_clients', 'Connected Socket.IO and WebSocket clients', 'transport', () => read(s => s.sockets().clients));
    this.scalar('wahub_subscriptions', 'Instances followed live, summed over every socket client', () => read(s => s.sockets().subscriptions));
    new Counter({
      name: 'wahub_clients_dropped_too_slow_total',
      help: 'Socket clients closed because they did not read what they were sent, by transport',
      labelNames: ['transport'],
      registers,
      collect() {
        // The count lives in the delivery layer; a counter is set from it by reset and inc.
        this.reset();
        for (const [transport, n] of Object.entries(read(s => s.droppedTooSlow()) ?? {})) this.inc({ transport }, n);
      }
    });
    this.gauge('wahub_wa_version', 'Instances by the WhatsApp Web version their current or last connection announced', 'version', () => read(s => s.waVersions()));
    this.gauge('wahub_queue_recipients', 'Bulk-send recipients by state, over every queue', 'state', () => read(s => s.queueRecipients()));
    this.gauge('wahub_webhooks', 'Enabled webhooks by delivery status (ok, retrying, failing)', 'status', () => this.scrape?.webhooks.byStatus);
    this.scalar(
      'wahub_webhook_lag_events',
      "Stored events after the webhooks' cursors, summed over enabled webhooks (filtered-out events included)",
      () => this.scrape?.webhooks.lagEvents
    );
    this.scalar('wahub_webhook_dead_letters', 'Events given up on after WEBHOOK_MAX_ATTEMPTS, waiting for a redelivery', () => this.scrape?.webhooks.deadLetters);
  }

  /** Called once the services the scrape-time metrics read exist. */
  watch(sources: MetricSources): void {
    this.sources = sources;
  }

  async text(): Promise<string> {
    // Three families come from one read of the webhooks; it is taken once per scrape, not once per family.
    this.scrape = this.sources ? { webhooks: this.sources.webhooks() } : undefined;
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** A gauge without labels, set from `value` at each scrape (0 until there is one). */
  private scalar(name: string, help: string, value: () => number | undefined): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(value() ?? 0);
      }
    });
  }

  /** A gauge with one label, set afresh from `values` at each scrape (a state that empties drops to 0, not away). */
  private gauge(name: string, help: string, label: string, values: () => Record<string, number> | undefined): void {
    const seen = new Set<string>();
    new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [this.registry],
      collect() {
        const now = values() ?? {};
        for (const key of new Set([...seen, ...Object.keys(now)])) {
          seen.add(key);
          this.set({ [label]: key }, now[key] ?? 0);
        }
      }
    });
  }
}
