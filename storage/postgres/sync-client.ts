import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { WORKER_SOURCE } from './worker-source.js';

/** What PostgreSQL (or the connection) answered instead of rows; `code` is PostgreSQL's SQLSTATE when it has one. */
export class PostgresError extends Error {
  readonly code: string | undefined;
  readonly detail: string | undefined;
  readonly constraint: string | undefined;
  constructor(message: string, fields: { code?: string; detail?: string; constraint?: string } = {}) {
    super(message);
    this.name = 'PostgresError';
    this.code = fields.code;
    this.detail = fields.detail;
    this.constraint = fields.constraint;
  }
}

/** The connection is gone (dropped, timed out, or the worker died): nothing sent on it since the last commit is known to have landed. */
export class ConnectionLostError extends PostgresError {
  /** `code`: the SQLSTATE the server gave, else 08006 (connection failure), whatever the socket said (ECONNREFUSED...). */
  constructor(message: string, code?: string) {
    super(message, { code: code && /^[0-9A-Z]{5}$/.test(code) ? code : '08006' });
    this.name = 'ConnectionLostError';
  }
}

export interface QueryResult {
  rows: unknown[];
  rowCount: number;
}

export interface SyncClientOptions {
  /** How long one query may take before the worker is restarted and the call fails. */
  timeoutMs?: number;
  /** How long starting the worker and connecting may take. */
  connectTimeoutMs?: number;
}

type Reply =
  | { ok: true }
  | { rows: unknown[]; rowCount: number; command?: string }
  | { error: { message: string; code?: string; detail?: string; constraint?: string; dead: boolean } };

const pgPath = createRequire(import.meta.url).resolve('pg');

/**
 * A synchronous PostgreSQL connection: a worker thread holds a `pg` client, and
 * each call posts the query and blocks this thread on a shared flag until the
 * worker answers (Atomics.wait, then receiveMessageOnPort). That keeps the
 * repositories' synchronous shape, and with it the rule that one WhatsApp event
 * is one transaction no `await` can interleave with.
 *
 * A lost connection is not replaced behind the caller's back: `lost` is set, and
 * the owner calls `reconnect()` once it knows no transaction was open on it.
 */
export class SyncClient {
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private worker!: Worker;
  private port!: MessagePort;
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;
  /** Set when the connection is gone; every call fails until `reconnect()`. */
  lost: Error | undefined;

  constructor(
    private readonly url: string,
    options: SyncClientOptions = {}
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
    this.start();
  }

  private start(): void {
    const { port1, port2 } = new MessageChannel();
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { pgPath, url: this.url, timeoutMs: this.timeoutMs, flag: this.flag.buffer, port: port2 },
      transferList: [port2]
    });
    // The worker holds a socket; it must not keep the process alive once everything else is done.
    this.worker.unref();
    this.port = port1;
    this.port.unref();
    this.lost = undefined;
    try {
      this.call({ op: 'connect' }, this.connectTimeoutMs);
    } catch (err) {
      void this.worker.terminate();
      const fields = err as { message?: string; code?: string };
      // Whatever refused the connection, nothing can be sent on this worker.
      throw (this.lost = err instanceof ConnectionLostError ? err : new ConnectionLostError(`cannot connect to PostgreSQL: ${fields.message}`, fields.code));
    }
  }

  /** Drops the current worker (and its connection) and connects afresh. */
  reconnect(): void {
    void this.worker.terminate();
    this.start();
  }

  query(text: string, values: unknown[], options: { name?: string; rowMode?: 'array' } = {}): QueryResult {
    const reply = this.call({ op: 'query', text, values, ...options });
    return reply as QueryResult;
  }

  /** Runs statements without parameters (the simple protocol: several may be separated by `;`). */
  exec(text: string): void {
    this.call({ op: 'exec', text });
  }

  close(): void {
    if (!this.lost) {
      try {
        this.call({ op: 'end' });
      } catch {
        // Closing anyway.
      }
    }
    this.lost = new ConnectionLostError('the connection is closed');
    void this.worker.terminate();
  }

  private call(request: Record<string, unknown>, timeoutMs = this.timeoutMs): Exclude<Reply, { error: unknown }> {
    if (this.lost && request.op !== 'connect') throw this.lost;
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage(request);
    if (Atomics.wait(this.flag, 0, 0, timeoutMs) === 'timed-out') {
      // The worker may be stuck anywhere (a query PostgreSQL does not answer, a dead socket):
      // end it, which closes its connection and with it any open transaction.
      void this.worker.terminate();
      throw (this.lost = new ConnectionLostError(`PostgreSQL did not answer within ${timeoutMs} ms`));
    }
    const message = receiveMessageOnPort(this.port)?.message as Reply | undefined;
    if (!message) throw (this.lost = new ConnectionLostError('the PostgreSQL worker answered nothing'));
    if ('error' in message) {
      const { error } = message;
      if (error.dead) {
        void this.worker.terminate();
        throw (this.lost = new ConnectionLostError(error.message, error.code));
      }
      throw new PostgresError(error.message, error);
    }
    return message;
  }
}
