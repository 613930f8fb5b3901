/**
 * What the hub's services report as it happens, for metrics. The services call
 * these hooks and know nothing of what is made of them; tests and builds without
 * metrics pass `SILENT`.
 */
export interface HubObserver {
  /** One transaction of the event pipeline committed these events in `seconds`. */
  eventsCommitted(names: readonly string[], seconds: number): void;
  /** WhatsApp took a message (single send: written; bulk: acknowledged) `seconds` after it was handed over. */
  sent(seconds: number): void;
  /** A closed connection is being opened again; `code` is the close's status code. */
  reconnecting(code: number): void;
}

export const SILENT: HubObserver = { eventsCommitted: () => undefined, sent: () => undefined, reconnecting: () => undefined };

/** Seconds since `start` (from `process.hrtime.bigint()`). */
export const secondsSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;
