import WebSocket from 'ws';
import type { EventEnvelope } from '../../protocol/index.js';

/** A plain WebSocket client of the hub: request/reply frames by id, and every envelope recorded. */
export class WsClient {
  readonly ws: WebSocket;
  readonly events: EventEnvelope[] = [];
  readonly replies: { id: unknown; ok: boolean; data?: any; error?: any }[] = [];
  private nextId = 1;
  private pending = new Map<unknown, (reply: any) => void>();
  private eventWaiters: { test: (e: EventEnvelope) => boolean; resolve: () => void }[] = [];

  constructor(url: string, opts: { token?: string; query?: boolean } = {}) {
    const wsUrl = url.replace(/^http/, 'ws') + '/ws' + (opts.query && opts.token ? `?token=${encodeURIComponent(opts.token)}` : '');
    this.ws = new WebSocket(wsUrl, { headers: opts.token && !opts.query ? { authorization: `Bearer ${opts.token}` } : {} });
    this.ws.on('message', raw => {
      const msg = JSON.parse(raw.toString());
      if ('event' in msg && 'seq' in msg) {
        this.events.push(msg);
        this.eventWaiters = this.eventWaiters.filter(w => (w.test(msg) ? (w.resolve(), false) : true));
        return;
      }
      this.replies.push(msg);
      this.pending.get(msg.id)?.(msg);
      this.pending.delete(msg.id);
    });
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState === WebSocket.OPEN) return resolve();
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  /** Sends a command frame and resolves with its reply. */
  call(command: string, args?: unknown, timeoutMs = 10_000): Promise<{ id: unknown; ok: boolean; data?: any; error?: any }> {
    const id = `r${this.nextId++}`;
    return this.raw(JSON.stringify({ id, command, args }), id, timeoutMs);
  }

  /** Sends any text and waits for the reply carrying `id` (null for frames without one). */
  raw(text: string | Buffer, id: unknown = null, timeoutMs = 10_000): Promise<any> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply for ${String(id)}`)), timeoutMs);
      this.pending.set(id, reply => (clearTimeout(timer), resolve(reply)));
      this.ws.send(text);
    });
  }

  waitForEvent(test: (e: EventEnvelope) => boolean, timeoutMs = 20_000): Promise<void> {
    if (this.events.some(test)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for an event')), timeoutMs);
      this.eventWaiters.push({ test, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  close(): void {
    this.ws.close();
  }
}
