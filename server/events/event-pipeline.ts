import type { Logger } from 'pino';
import type { EventEnvelope, InstanceRef, PendingEvent } from '../../protocol/index.js';
import type { Storage } from '../../storage/index.js';
import { SILENT, secondsSince, type HubObserver } from '../metrics/hub-observer.js';

/** Where events go after they are stored: Socket.IO rooms, WebSocket clients, later webhooks. */
export interface EventSink {
  readonly name: string;
  /** Must not block: called in order, right after the events' transaction commits. `raw` is the envelope as JSON. */
  publish(source: EventSource, envelope: EventEnvelope, raw: string): void;
}

/** The instance an event belongs to, as the pipeline needs it. */
export interface EventSource {
  id: string;
  ref: InstanceRef;
}

/**
 * Data flows one way: translate → store writes and event-log entries in one
 * transaction → fan out to every sink. Nothing reaches a client that is not stored,
 * and a sink that throws never stops the others or the WhatsApp handler.
 */
export class EventPipeline {
  private readonly sinks = new Set<EventSink>();

  constructor(
    private readonly storage: Storage,
    private readonly logger: Logger,
    private readonly observer: HubObserver = SILENT
  ) {}

  addSink(sink: EventSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  /** Runs `produce` (store writes + events) in one transaction, logs each event with its seq, then publishes. */
  commit(source: EventSource, produce: () => PendingEvent[]): EventEnvelope[] {
    const start = process.hrtime.bigint();
    const logged = this.storage.write(source.id, () =>
      produce().map(pending => {
        let envelope!: EventEnvelope;
        const { payload } = this.storage.events.append(source.id, pending.event, (seq, timestamp) => {
          const extra = 'history' in pending && pending.history ? { history: pending.history } : {};
          envelope = { event: pending.event, instance: { ...source.ref }, data: pending.data, seq, timestamp, ...extra } as EventEnvelope;
          return envelope;
        });
        return { envelope, payload };
      })
    );
    if (logged.length) this.observer.eventsCommitted(logged.map(l => l.envelope.event), secondsSince(start));
    for (const { envelope, payload } of logged) {
      for (const sink of this.sinks) {
        try {
          sink.publish(source, envelope, payload);
        } catch (err) {
          this.logger.error({ err, sink: sink.name, event: envelope.event }, 'event sink failed');
        }
      }
    }
    return logged.map(l => l.envelope);
  }
}
