import http from 'node:http';
import net from 'node:net';
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import type { EventEnvelope } from '../../protocol/index.js';

/** An HTTP agent that keeps the TCP socket it opens, so a test can pause it as a client that stopped reading would. */
export class TapAgent extends http.Agent {
  socket: net.Socket | undefined;

  override createConnection(options: http.ClientRequestArgs): net.Socket {
    this.socket = net.createConnection({ host: options.host ?? '127.0.0.1', port: Number(options.port) });
    return this.socket;
  }

  /** Stops reading from the network: what the hub sends piles up in the kernel, then in the hub. */
  pause(): void {
    this.socket!.pause();
  }

  resume(): void {
    this.socket!.resume();
  }
}

/** A /ws client on its own TCP socket that the test can pause; records envelopes, replies and how it was closed. */
export class TappedWs {
  readonly agent = new TapAgent();
  readonly ws: WebSocket;
  readonly events: EventEnvelope[] = [];
  readonly replies: { id: unknown; ok: boolean; data?: unknown; error?: unknown }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private nextId = 1;

  constructor(url: string, token: string) {
    this.ws = new WebSocket(url.replace(/^http/, 'ws') + '/ws', { agent: this.agent, headers: { authorization: `Bearer ${token}` } });
    this.ws.on('message', raw => {
      const msg = JSON.parse(raw.toString()) as EventEnvelope & { id?: unknown; ok: boolean };
      if ('seq' in msg && 'event' in msg) this.events.push(msg);
      else this.replies.push(msg);
    });
    this.closed = new Promise(resolve => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState === WebSocket.OPEN) return resolve();
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  /** Sends a command frame without waiting for its reply (a client that does not read gets none). */
  send(command: string, args?: unknown): string {
    const id = `t${this.nextId++}`;
    this.ws.send(JSON.stringify({ id, command, args }));
    return id;
  }

  /** Resolves with the reply to `id`, or rejects after `timeoutMs`. */
  async reply(id: string, timeoutMs = 10_000): Promise<{ ok: boolean; data?: unknown; error?: unknown }> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.replies.find(r => r.id === id);
      if (found) return found;
      if (Date.now() > end) throw new Error(`no reply for ${id}`);
      await new Promise(r => setTimeout(r, 20));
    }
  }
}

/** A Socket.IO client on its own TCP socket that the test can pause; records envelopes, `error` events and its disconnect. */
export class TappedSocketIo {
  readonly agent = new TapAgent();
  readonly socket: Socket;
  readonly events: EventEnvelope[] = [];
  readonly errors: unknown[] = [];
  readonly disconnected: Promise<string>;

  constructor(url: string, token: string) {
    // engine.io-client hands `agent` to ws; its type says string | boolean, but any http.Agent is what ws takes.
    this.socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true, agent: this.agent as unknown as string });
    this.socket.on('error', (body: unknown) => this.errors.push(body));
    this.socket.onAny((name: string, envelope: EventEnvelope) => {
      if (name !== 'error') this.events.push(envelope);
    });
    this.disconnected = new Promise(resolve => this.socket.once('disconnect', reason => resolve(reason)));
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.connected) return resolve();
      this.socket.once('connect', () => resolve());
      this.socket.once('connect_error', reject);
    });
  }
}

/** The message IDs of the `new.message` envelopes among `events`, in the order they came. */
export const messageIdsOf = (events: EventEnvelope[]): string[] =>
  events.filter(e => e.event === 'new.message').map(e => (e.data as { header: { messageId: string } }).header.messageId);
