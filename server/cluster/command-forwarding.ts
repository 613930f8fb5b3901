import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { CommandName } from '../../protocol/index.js';
import type { InstanceId } from '../../storage/index.js';
import type { Principal } from '../auth/principal.js';
import type { RemoteCommands, UploadRef } from '../commands/command-layer.js';
import { Errors, toErrorBody, type ErrorBody } from '../errors.js';
import { keys, type NodeId } from './keys.js';
import type { Leases } from './leases.js';
import type { Redis } from './redis-client.js';

interface Request {
  id: string;
  from: NodeId;
  name: CommandName;
  args: unknown;
  principal: Principal;
  /** A REST multipart upload, by its hash in the shared media folder. */
  upload?: UploadRef;
}

type Reply = { id: string; ok: true; data?: unknown } | { id: string; ok: false; error: ErrorBody & { code?: string } };

export interface ForwardingOptions {
  pub: Redis;
  sub: Redis;
  node: NodeId;
  leases: Leases;
  log: Logger;
  /** The instance id of a name, as this node knows it. */
  idOf(instance: string): InstanceId | undefined;
  /** Whether this node holds the instance now. */
  holds(instance: InstanceId): boolean;
  /** Runs a command forwarded here, without forwarding it on. */
  runHere(name: string, args: unknown, principal: Principal, upload?: UploadRef): Promise<unknown>;
  /** How long a forwarded command may take on the owner (a bulk group change or a media send can take long). */
  timeoutMs?: number;
}

/**
 * Commands for an instance another node holds go to that node over Redis
 * (each node takes requests on its own sharded channel and hears answers on
 * another), are run there by its command layer as for a local caller, and come
 * back with the same result or the same error (status, message). The principal
 * this node authenticated travels with the request: Redis is inside the cluster's
 * trust boundary, as the store is. Forwarded only once: the owner answers itself,
 * so a lease moving mid-flight cannot bounce a command between nodes.
 */
export class CommandForwarding implements RemoteCommands {
  private readonly pending = new Map<string, { resolve(data: unknown): void; reject(err: unknown): void; timer: NodeJS.Timeout }>();
  private readonly timeoutMs: number;

  constructor(private readonly opts: ForwardingOptions) {
    this.timeoutMs = opts.timeoutMs ?? 120_000;
  }

  /** Starts taking forwarded commands and answers. */
  async start(): Promise<void> {
    await this.opts.sub.sSubscribe(keys.commands(this.opts.node), message => this.serve(message));
    await this.opts.sub.sSubscribe(keys.replies(this.opts.node), message => this.settle(message));
  }

  close(): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Errors.ownerUnreachable('(this node is shutting down)'));
      this.pending.delete(id);
    }
  }

  elsewhere(instance: string): boolean {
    const id = this.opts.idOf(instance);
    return id !== undefined && !this.opts.holds(id);
  }

  async forward(
    name: CommandName,
    args: unknown,
    principal: Principal,
    instance: string,
    upload?: UploadRef
  ): Promise<{ forwarded: false } | { forwarded: true; result: unknown }> {
    const id = this.opts.idOf(instance);
    const holder = id ? await this.opts.leases.holder(id) : undefined;
    // Nobody holds it right now (between two owners): this node answers from what it has.
    if (!holder || holder.node === this.opts.node) return { forwarded: false };
    const request: Request = { id: randomUUID(), from: this.opts.node, name, args, principal, ...(upload ? { upload } : {}) };
    const result = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(request.id);
        reject(new Errors.ownerUnreachable(instance));
      }, this.timeoutMs);
      this.pending.set(request.id, { resolve, reject, timer });
    });
    const heard = await this.opts.pub.sPublish(keys.commands(holder.node), JSON.stringify(request)).catch(() => 0);
    if (!heard) this.fail(request.id, new Errors.ownerUnreachable(instance));
    return { forwarded: true, result: await result };
  }

  private serve(message: string): void {
    let request: Request;
    try {
      request = JSON.parse(message) as Request;
    } catch {
      return;
    }
    this.opts
      .runHere(request.name, request.args, request.principal, request.upload)
      .then(
        (data): Reply => ({ id: request.id, ok: true, data }),
        (err: unknown): Reply => {
          const body = toErrorBody(err);
          if (body.status >= 500) this.opts.log.error({ err, command: request.name, from: request.from }, 'forwarded command failed');
          return { id: request.id, ok: false, error: { ...body, code: (err as { code?: string }).code } };
        }
      )
      .then(reply => this.opts.pub.sPublish(keys.replies(request.from), JSON.stringify(reply)))
      .catch(err => this.opts.log.warn({ err, command: request.name, from: request.from }, 'could not answer a forwarded command'));
  }

  private settle(message: string): void {
    let reply: Reply;
    try {
      reply = JSON.parse(message) as Reply;
    } catch {
      return;
    }
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    clearTimeout(p.timer);
    if (reply.ok) p.resolve(reply.data);
    else p.reject(Object.assign(new Error(reply.error.message), { statusCode: reply.error.status, code: reply.error.code }));
  }

  private fail(id: string, err: unknown): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.reject(err);
  }
}
