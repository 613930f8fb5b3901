import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventEnvelope } from '../../protocol/index.js';
import { standardKey } from '../../server/webhooks/signing.js';

/** One POST as the receiver saw it, after checking both signatures with node:crypto. */
export interface Received {
  delivery: string;
  event: string;
  envelope: EventEnvelope;
  /** What the receiver answered. */
  status: number;
  at: number;
}

/** How the receiver answers a POST: a status, after an optional delay. */
export type Answer = (envelope: EventEnvelope, attempt: number) => { status: number; delayMs?: number };

const equal = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Why a delivery's headers do not verify against the secret, or undefined when both signatures do. */
export function signatureProblem(secret: string, headers: IncomingMessage['headers'], body: string): string | undefined {
  const wahub = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(headers['x-wahub-signature'] ?? ''));
  if (!wahub) return 'x-wahub-signature malformed';
  if (!equal(createHmac('sha256', secret).update(`${wahub[1]}.${body}`).digest('hex'), wahub[2]!)) return 'x-wahub-signature wrong';
  if (Math.abs(Date.now() / 1000 - Number(wahub[1])) > 300) return 'x-wahub-signature stale';
  const id = String(headers['webhook-id'] ?? '');
  const ts = String(headers['webhook-timestamp'] ?? '');
  if (id !== headers['x-wahub-delivery']) return 'webhook-id is not x-wahub-delivery';
  const expected = createHmac('sha256', standardKey(secret)).update(`${id}.${ts}.${body}`).digest('base64');
  const given = String(headers['webhook-signature'] ?? '').split(' ').map(s => s.replace(/^v1,/, ''));
  if (!given.some(g => equal(g, expected))) return 'webhook-signature wrong';
  return undefined;
}

/**
 * A real HTTP receiver on a loopback port. It verifies every signature (a bad
 * one is recorded in `problems`, and answered 400) and records every POST.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  readonly problems: string[] = [];
  secret = '';
  answer: Answer = () => ({ status: 200 });
  private server?: Server;
  private port = 0;
  private readonly attempts = new Map<string, number>();

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Listens (again on the same port after `stop`). */
  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', c => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const problem = signatureProblem(this.secret, req.headers, body);
        const envelope = JSON.parse(body) as EventEnvelope;
        const delivery = String(req.headers['x-wahub-delivery']);
        if (problem) this.problems.push(`${delivery}: ${problem}`);
        if (req.headers['x-wahub-event'] !== envelope.event) this.problems.push(`${delivery}: x-wahub-event is not the envelope's`);
        if (!delivery.endsWith(`:${envelope.seq}`)) this.problems.push(`${delivery}: not the envelope's seq ${envelope.seq}`);
        const attempt = (this.attempts.get(delivery) ?? 0) + 1;
        this.attempts.set(delivery, attempt);
        const { status, delayMs = 0 } = problem ? { status: 400 } : this.answer(envelope, attempt);
        setTimeout(() => {
          this.received.push({ delivery, event: envelope.event, envelope, status, at: Date.now() });
          res.writeHead(status).end();
        }, delayMs);
      });
    });
    await new Promise<void>(resolve => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops listening and drops open connections, as a receiver that went down. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  }

  /** The POSTs answered 2xx. */
  acknowledged(): Received[] {
    return this.received.filter(r => r.status >= 200 && r.status < 300);
  }

  /** Seqs in the order they were first acknowledged. */
  acknowledgedSeqs(): number[] {
    const seen = new Set<number>();
    for (const r of this.acknowledged()) seen.add(r.envelope.seq);
    return [...seen];
  }
}

/** Every seq from `from` to `to`, inclusive. */
export const seqRange = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
