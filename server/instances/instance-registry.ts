import { randomUUID } from 'node:crypto';
import { jidNormalizedUser, type BaileysEventMap } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import PQueue from 'p-queue';
import QRCode from 'qrcode';
import { DEFAULT_SETTINGS, type InstanceRef, type InstanceSettings, type PendingEvent } from '../../protocol/index.js';
import { FencedOutError, type InstanceId, type InstanceRow, type SqliteAuthState, type Storage, type StoreProblem } from '../../storage/index.js';
import { digestMatches, hashToken, newToken } from '../auth/tokens.js';
import type { Config } from '../config.js';
import { Errors } from '../errors.js';
import type { EventPipeline } from '../events/event-pipeline.js';
import { prefetch } from '../events/prefetch.js';
import { historyChunks, translate } from '../events/translate.js';
import type { StoreMonitor } from '../health/store-monitor.js';
import { SILENT, type HubObserver } from '../metrics/hub-observer.js';
import { withoutIgnored } from '../settings/ignored.js';
import { applyPresence, readInbound, rejectCalls, type ReactionTarget } from '../settings/reactions.js';
import { InstanceSession, type BaileysEvent } from './instance-session.js';
import type { WaVersionSource } from './wa-version.js';
import { proxyProblem, redactProxy } from './proxy-agent.js';
import type { StateExtra } from './instance-session.js';
import { wireState, type InstanceState } from './instance-state.js';

/** One instance while the hub runs: its stored row, its session and what it last showed. */
export interface LiveInstance {
  row: InstanceRow;
  auth: SqliteAuthState;
  session: InstanceSession;
  qr: { code: string; base64: string } | null;
  /** Baileys events and state changes of one instance are handled strictly in order. */
  chain: Promise<void>;
  /** Events queued last in `chain` that have not started yet: more events join them, to commit together. */
  batch?: BaileysEvent[];
  wire: 'connecting' | 'open' | 'close' | 'refused';
  /** Set while the hub keeps the instance closed because the store cannot be written. */
  suspended?: StoreProblem;
  /** Milliseconds since the epoch of the last event committed for it, since the hub started. */
  lastEventAt: number | null;
  /** Milliseconds since the epoch of the last message WhatsApp took from it, since the hub started. */
  lastSendAt: number | null;
  /** Its settings, every field resolved; changed only through `updateSettings`. */
  settings: InstanceSettings;
  /** The last close of its connection and why, until it opens again (e.g. a proxy that refused it). */
  closed?: { statusReason: number; reason: string };
  /** What the settings' reactions act on (calls to reject, messages to mark read). */
  reactions: ReactionTarget;
  /** How far the history sync of this type had come with its last chunk, which its next chunk's parts count up from. */
  historyProgress?: { syncType: number | null | undefined; progress: number };
}

/** What the schema cannot say of a setting: a proxy URL that does not parse or names no host and port. */
function checkSettings(settings: Partial<InstanceSettings>): void {
  const problem = settings.proxy ? proxyProblem(settings.proxy) : undefined;
  if (problem) throw new Errors.badRequest(problem);
}

/** Stored settings over the defaults; a field the protocol no longer has is left out. */
const resolveSettings = (stored: Record<string, unknown> | undefined): InstanceSettings => {
  const out = { ...DEFAULT_SETTINGS };
  for (const key of Object.keys(out) as (keyof InstanceSettings)[]) if (stored && key in stored) (out as Record<string, unknown>)[key] = stored[key];
  return out;
};

/**
 * Which instances this node may run, in a cluster (server/cluster/). Asked before
 * opening a session and before every write an instance makes, so a node that lost
 * an instance's lease neither holds its WhatsApp socket nor writes for it.
 */
export interface Ownership {
  holds(id: InstanceId): boolean;
}

/** `statusReason` of an instance the hub closed because the store cannot be written (HTTP's Insufficient Storage). */
export const STORE_UNAVAILABLE = 507;
/** `statusReason` of an instance this node closed because another node of the cluster takes it over (HTTP's Temporary Redirect). */
export const MOVED = 307;

export interface RegistryOptions {
  storage: Storage;
  pipeline: EventPipeline;
  config: Pick<Config, 'QR_MAX_COUNT' | 'WA_WS_URL'>;
  /** Baileys' logger, silenced below debug. */
  logger: Logger;
  /** The hub's own logger: failures the operator must see. */
  log: Logger;
  store: StoreMonitor;
  /** Reconnect backoff; tests shorten it. */
  backoff?: { baseMs: number; maxMs: number };
  qrTimeoutMs?: number;
  observer?: HubObserver;
  /** The WhatsApp Web version new connections announce; Baileys' pinned one when absent. */
  versions?: WaVersionSource;
  /** How many instances a restore logs in at a time (default `RESTORE_CONCURRENCY`). */
  restoreConcurrency?: number;
}

/**
 * Logins a restore runs at once. Each login is CPU on both ends (the noise handshake,
 * Signal keys) and a few round trips; hundreds started together all progress together,
 * so none opens until nearly all have, and the slowest reach Baileys' 20 s connect
 * timeout and start over. A few at a time open one after the other instead.
 */
export const RESTORE_CONCURRENCY = 16;
/** A login that neither opens nor fails within this long gives its turn to the next one (it goes on). */
const RESTORE_TURN_MS = 20_000;

/**
 * Every instance of the hub: creation, lookup, the lifecycle of their sessions,
 * and the translation of their WhatsApp events into stored, sequenced events.
 */
export class InstanceRegistry {
  private readonly live = new Map<string, LiveInstance>();
  private readonly openListeners = new Set<(inst: LiveInstance) => void>();
  private readonly deleteListeners = new Set<(id: InstanceId) => void>();
  /** Unset on a single node: it runs every instance. */
  private ownership?: Ownership;
  private syncedOnMiss = 0;
  private readonly restoring: PQueue;

  constructor(private readonly opts: RegistryOptions) {
    this.restoring = new PQueue({ concurrency: opts.restoreConcurrency ?? RESTORE_CONCURRENCY });
    for (const row of opts.storage.instances.list()) this.live.set(row.name, this.materialize(row));
    opts.store.listen({ down: problem => this.suspendAll(problem), up: () => this.resumeAll() });
  }

  list(): LiveInstance[] {
    return [...this.live.values()];
  }

  get(name: string): LiveInstance {
    const inst = this.live.get(name) ?? this.missed(() => this.live.get(name));
    if (!inst) throw new Errors.instanceNotFound(name);
    return inst;
  }

  /** The id the instance of this name has now; a token bound to another id is stale. */
  idOf(name: string): InstanceId | undefined {
    return this.live.get(name)?.row.id;
  }

  /** The instance a token belongs to, by the token's digest (`tokenDigest`), compared in constant time. */
  byTokenDigest(digest: Buffer): LiveInstance | undefined {
    const find = () => {
      let found: LiveInstance | undefined;
      for (const inst of this.live.values()) if (digestMatches(digest, inst.row.token_hash)) found = inst;
      return found;
    };
    return find() ?? this.missed(find);
  }

  /**
   * In a cluster, hands this node's instances to `ownership`: from now on a session
   * opens only through `adopt` and every write is checked against it.
   */
  placeWith(ownership: Ownership): void {
    this.ownership = ownership;
  }

  /** Whether this node runs the instance (always, on a single node). */
  owns(inst: LiveInstance): boolean {
    return !this.ownership || this.ownership.holds(inst.row.id);
  }

  /**
   * Brings the instance list in line with the store, which other nodes write too:
   * instances created elsewhere appear, deleted ones go (their sockets with them).
   * Returns every instance id.
   */
  sync(): InstanceId[] {
    const rows = this.opts.storage.instances.list();
    const names = new Set(rows.map(r => r.name));
    for (const [name, inst] of this.live) {
      if (names.has(name)) continue;
      inst.session.stop();
      this.live.delete(name);
      for (const listener of this.deleteListeners) listener(inst.row.id);
    }
    for (const row of rows) {
      const known = this.live.get(row.name);
      if (known && known.row.id === row.id) continue;
      if (known) {
        known.session.stop();
        for (const listener of this.deleteListeners) listener(known.row.id);
      }
      this.live.set(row.name, this.materialize(row));
    }
    return rows.map(r => r.id);
  }

  /**
   * This node now holds the instance: it is read afresh from the store (the last
   * owner changed its state, credentials and settings there) and a paired one
   * connects. An unpaired one waits for `connect` here.
   */
  adopt(id: InstanceId): LiveInstance | undefined {
    const row = this.opts.storage.instances.findById(id);
    if (!row) return undefined;
    const before = this.live.get(row.name);
    before?.session.stop();
    const inst = this.materialize(row);
    this.live.set(row.name, inst);
    if (inst.auth.hasAccount()) {
      const problem = this.opts.store.current;
      if (problem) inst.suspended = problem;
      else inst.session.start();
    }
    return inst;
  }

  /**
   * This node no longer holds the instance: its socket ends at once, without a
   * logout (the account stays linked, for the next owner). Resolves once its last
   * event was handled.
   */
  async disown(id: InstanceId): Promise<void> {
    const inst = this.list().find(i => i.row.id === id);
    if (!inst) return;
    inst.suspended = undefined;
    // Reported as `close` while the lease still holds (a release); after a loss the report is fenced off like any write.
    if (inst.session.active) inst.session.suspend(MOVED);
    else inst.session.stop();
    await inst.chain;
  }

  /**
   * A miss may be an instance another node created since the last sync. At most
   * one look a second: unknown tokens must not make every request read every instance.
   */
  private missed<T>(find: () => T | undefined): T | undefined {
    if (!this.ownership || Date.now() - this.syncedOnMiss < 1000) return undefined;
    this.syncedOnMiss = Date.now();
    this.sync();
    return find();
  }

  private assertOwned(inst: LiveInstance): void {
    if (!this.owns(inst)) throw new Errors.otherNode(inst.row.name);
  }

  create(name: string, settings: Partial<InstanceSettings> = {}): { inst: LiveInstance; token: string } {
    if (this.live.has(name)) throw new Errors.instanceExists(name);
    checkSettings(settings);
    const token = newToken();
    const row = this.opts.storage.instances.create({ id: randomUUID(), name, token_hash: hashToken(token), state: 'close' });
    if (Object.keys(settings).length) this.opts.storage.instanceSettings.set(row.id, { ...DEFAULT_SETTINGS, ...settings });
    const inst = this.materialize(row);
    this.live.set(name, inst);
    return { inst, token };
  }

  connect(name: string): LiveInstance {
    const inst = this.get(name);
    this.assertOwned(inst);
    this.assertStoreWritable();
    inst.session.start();
    return inst;
  }

  /** Ends the socket and connects again; refused, leaving the session as it is, while the store is down. */
  restart(name: string): LiveInstance {
    const inst = this.get(name);
    this.assertOwned(inst);
    this.assertStoreWritable();
    inst.session.stop();
    inst.session.start();
    return inst;
  }

  private assertStoreWritable(): void {
    const problem = this.opts.store.current;
    if (problem) throw new Errors.storeUnavailable(problem.reason);
  }

  async logout(name: string): Promise<LiveInstance> {
    const inst = this.get(name);
    this.assertOwned(inst);
    await inst.session.logout();
    await inst.chain;
    return inst;
  }

  async delete(name: string): Promise<void> {
    const inst = this.get(name);
    this.assertOwned(inst);
    if (inst.auth.hasAccount()) await inst.session.logout();
    else inst.session.stop();
    await inst.chain;
    this.live.delete(name);
    this.opts.storage.instances.delete(inst.row.id);
    for (const listener of this.deleteListeners) listener(inst.row.id);
  }

  /** Called once an instance is deleted, with its id: sockets its token opened must go. */
  onDeleted(listener: (id: InstanceId) => void): () => void {
    this.deleteListeners.add(listener);
    return () => this.deleteListeners.delete(listener);
  }

  /** On start: every paired instance reconnects with its stored credentials, without a QR. */
  restoreAll(): number {
    // In a cluster the placement opens each instance as its lease comes (`adopt`).
    if (this.ownership) return 0;
    let n = 0;
    const problem = this.opts.store.current;
    for (const inst of this.live.values()) {
      if (inst.auth.hasAccount()) {
        // Not acknowledging anything while the store is down; they connect when it is back.
        if (problem) inst.suspended = problem;
        else this.restoreInTurn(inst);
        n++;
      }
    }
    return n;
  }

  /**
   * Opens the session when a turn is free, and holds the turn until it opens, fails or
   * shows a QR. Meanwhile it counts as active, so a stop, a logout or a store outage
   * before its turn cancels it, and a `connect` opens it at once.
   */
  private restoreInTurn(inst: LiveInstance): void {
    const session = inst.session;
    session.hold();
    void this.restoring.add(async () => {
      if (!session.active || inst.suspended || inst.session !== session) return;
      session.start();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([session.settled(), new Promise<void>(resolve => (timer = setTimeout(resolve, RESTORE_TURN_MS)))]);
      clearTimeout(timer);
    });
  }

  async closeAll(): Promise<void> {
    this.restoring.clear();
    for (const inst of this.live.values()) inst.session.stop();
    await Promise.all([...this.live.values()].map(i => i.chain));
  }

  /**
   * Changes some settings: stored, then applied to the live connection where WhatsApp
   * allows it (presence at once; the rest with the next event; syncFullHistory is asked
   * for at the next pairing, and read for each full-history chunk that arrives).
   */
  updateSettings(name: string, patch: Partial<InstanceSettings>): InstanceSettings {
    const inst = this.get(name);
    checkSettings(patch);
    const next = { ...inst.settings, ...patch };
    this.writeFor(inst.row.id, () => this.opts.storage.instanceSettings.set(inst.row.id, next));
    const presenceChanged = next.alwaysOnline !== inst.settings.alwaysOnline;
    const proxyChanged = next.proxy !== inst.settings.proxy;
    inst.settings = next;
    if (presenceChanged) applyPresence(inst.reactions);
    // Baileys takes its agents when the socket is made: a new proxy needs a new connection.
    if (proxyChanged && inst.session.active && !inst.suspended) {
      inst.session.stop();
      inst.session.start();
    }
    return next;
  }

  /** The last `seq` the instance's event log gave out (0 before its first event). */
  lastSeq(inst: LiveInstance): number {
    return this.opts.storage.events.lastSeq(inst.row.id);
  }

  /** Stores and sends events of an instance that do not come from WhatsApp (e.g. the send queue's). */
  publish(inst: LiveInstance, events: () => PendingEvent[]): void {
    this.commit(inst, events);
  }

  /** WhatsApp took a message of this instance `seconds` after it was handed over (single or bulk). */
  noteSend(inst: LiveInstance, seconds: number): void {
    inst.lastSendAt = Date.now();
    (this.opts.observer ?? SILENT).sent(seconds);
  }

  /** Called whenever an instance's connection opens (after its connection.update is out). */
  onOpen(listener: (inst: LiveInstance) => void): () => void {
    this.openListeners.add(listener);
    return () => this.openListeners.delete(listener);
  }

  ref(inst: LiveInstance): InstanceRef {
    return { name: inst.row.name, owner: inst.row.owner };
  }

  /**
   * The store cannot be written: every connected session ends at once, before Baileys can
   * send another receipt or ack, so WhatsApp keeps what it could not give us.
   */
  private suspendAll(problem: StoreProblem): void {
    for (const inst of this.live.values()) {
      if (!inst.session.active) continue;
      inst.suspended = problem;
      inst.session.suspend(STORE_UNAVAILABLE);
    }
  }

  private resumeAll(): void {
    for (const inst of this.live.values()) {
      if (!inst.suspended || !this.owns(inst)) continue;
      inst.suspended = undefined;
      inst.session.start();
    }
  }

  /**
   * Passes `fn`'s result through; a store failure inside it is reported before the error goes on.
   * A write the store fenced off is this node's lost lease, not a store problem: HUB_OTHER_NODE,
   * as when the node finds the loss itself (the storage has told the placement already).
   */
  private watched<T>(fn: () => T, inst?: LiveInstance): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof FencedOutError) throw new Errors.otherNode(inst?.row.name ?? err.instanceId);
      this.opts.store.reportWriteError(err);
      throw err;
    }
  }

  /** A write of the instance's own data outside an event commit (queue state): fenced like one. */
  write<T>(inst: LiveInstance, fn: () => T): T {
    this.fenced(inst);
    return this.watched(() => this.opts.storage.write(inst.row.id, fn), inst);
  }

  /**
   * A write for an instance that a command or a media fetch makes, not its session:
   * fenced like the instance's own writes when this node holds it (a node fenced out
   * answers HUB_OTHER_NODE and steps down); a plain transaction when it does not, as
   * while nobody holds the instance the node reached answers from the store.
   */
  writeFor<T>(instanceId: InstanceId, fn: () => T): T {
    const inst = this.list().find(i => i.row.id === instanceId);
    if (inst && this.owns(inst)) return this.write(inst, fn);
    return this.watched(() => this.opts.storage.transaction(fn), inst);
  }

  private materialize(row: InstanceRow): LiveInstance {
    const logger = this.opts.logger.child({ instance: row.name });
    const auth = this.opts.storage.authState(row.id);
    // Signal keys are written inside Baileys' decryption; a failure there must stop the socket too.
    const keys = auth.state.keys;
    const setKeys = keys.set.bind(keys);
    keys.set = async data => {
      this.fenced(inst);
      try {
        await setKeys(data);
      } catch (err) {
        if (err instanceof FencedOutError) throw new Errors.otherNode(row.name);
        this.opts.store.reportWriteError(err);
        throw err;
      }
    };
    const inst: LiveInstance = {
      row,
      auth,
      qr: null,
      chain: Promise.resolve(),
      lastEventAt: null,
      lastSendAt: null,
      wire: wireState(row.state as InstanceState),
      settings: resolveSettings(this.opts.storage.instanceSettings.get(row.id)),
      reactions: {
        socket: () => inst.session.socket,
        settings: () => inst.settings,
        log: this.opts.log.child({ instance: row.name }),
        emit: event => this.enqueueEvent(inst, event)
      },
      session: undefined as unknown as InstanceSession
    };
    inst.session = new InstanceSession({
      name: row.name,
      auth: () => auth,
      logger,
      url: this.opts.config.WA_WS_URL,
      qrMaxCount: this.opts.config.QR_MAX_COUNT,
      qrTimeoutMs: this.opts.qrTimeoutMs,
      backoff: this.opts.backoff ?? { baseMs: 1000, maxMs: 60_000 },
      getMessage: async key => (key.id ? this.opts.storage.messages.content(row.id, key.id) : undefined),
      cachedGroupMetadata: async jid => this.opts.storage.groups.get(row.id, jid),
      settings: () => inst.settings,
      ...(this.opts.versions
        ? { version: () => this.opts.versions!.current.version, refreshVersion: () => this.opts.versions!.refresh().then(c => c.version) }
        : {}),
      hooks: {
        onUpserted: data => {
          const kept = withoutIgnored({ name: 'messages.upsert', data }, inst.settings);
          if (kept?.name === 'messages.upsert') readInbound(kept.data, inst.reactions);
        },
        onState: (state, statusReason, extra) => this.enqueue(inst, async () => this.onState(inst, state, statusReason, extra)),
        onQr: code => this.enqueue(inst, async () => this.onQr(inst, code)),
        onEvent: event => this.enqueueEvent(inst, event),
        onPushName: name => this.enqueue(inst, async () => this.onPushName(inst, name)),
        commitMessage: data => this.run(inst, async () => this.onEvent(inst, { name: 'messages.upsert', data })),
        onCreds: () => {
          try {
            this.fenced(inst);
            this.watched(() => auth.saveCreds(), inst);
          } catch (err) {
            this.opts.log.error({ err, instance: row.name }, 'could not save credentials');
          }
        },
        onLoggedOut: () => {
          try {
            if (this.owns(inst)) this.watched(() => auth.clear(), inst);
          } catch (err) {
            this.taskFailed(inst, err);
          }
        },
        onReconnect: code => (this.opts.observer ?? SILENT).reconnecting(code)
      }
    });
    return inst;
  }

  /** Like `enqueue`, in the same order, but the caller learns when the task is done and whether it failed. */
  private run(inst: LiveInstance, task: () => Promise<void>): Promise<void> {
    inst.batch = undefined;
    const done = inst.chain.then(task);
    inst.chain = done.catch(err => this.opts.log.error({ err, instance: inst.row.name }, 'failed to commit an inbound message; it stays unacknowledged'));
    return done;
  }

  private enqueue(inst: LiveInstance, task: () => Promise<void>): void {
    // Whatever is queued after a batch closes it: a later event must not commit before this task.
    inst.batch = undefined;
    inst.chain = inst.chain.then(task).catch(err => this.taskFailed(inst, err));
  }

  private taskFailed(inst: LiveInstance, err: unknown): void {
    // The lease went to another node: whatever this node still heard of the instance is its to report now.
    if (err instanceof Errors.otherNode) this.opts.log.warn({ instance: inst.row.name }, 'not written: the instance is held by another node now');
    else this.opts.log.error({ err, instance: inst.row.name }, 'failed to handle an instance event');
  }

  /** Refuses a write for an instance whose lease this node no longer holds: the next owner may be writing already. */
  private fenced(inst: LiveInstance): void {
    if (!this.owns(inst)) throw new Errors.otherNode(inst.row.name);
  }

  private commit(inst: LiveInstance, produce: () => PendingEvent[]): void {
    this.fenced(inst);
    const committed = this.watched(() => this.opts.pipeline.commit({ id: inst.row.id, ref: this.ref(inst) }, produce), inst);
    const last = committed[committed.length - 1];
    if (last) inst.lastEventAt = last.timestamp;
  }

  private onState(inst: LiveInstance, state: InstanceState, statusReason: number, extra: StateExtra): void {
    const { storage } = this.opts;
    if (state === 'open') inst.closed = undefined;
    else if (state === 'close' && extra.reason) inst.closed = { statusReason, reason: extra.reason };
    const wire = wireState(state);
    inst.row.state = state;
    if (state === 'open') {
      inst.qr = null;
      // The owner goes into this very event's envelope, so it is set before the commit.
      inst.row.owner = extra.owner ? jidNormalizedUser(extra.owner) : inst.row.owner;
      inst.row.push_name = extra.pushName ?? inst.row.push_name;
    }
    if (state === 'refused') inst.qr = null;
    this.commit(inst, () => {
      storage.instances.updateState(inst.row.id, state);
      if (state === 'open') storage.instances.updateAccount(inst.row.id, inst.row.owner, inst.row.push_name);
      // A QR wait is `connecting` on the wire; report each wire state once.
      if (wire === inst.wire && state !== 'open') return [];
      inst.wire = wire;
      return [{ event: 'connection.update', data: { instance: { name: inst.row.name, id: inst.row.id }, state: wire, statusReason } }];
    });
    if (state === 'open') {
      // The operator's log (Baileys' own is quiet below debug): which version and proxy each instance came up with.
      const proxy = inst.settings.proxy;
      this.opts.log.info({ instance: inst.row.name, waVersion: inst.session.version?.join('.'), ...(proxy ? { proxy: redactProxy(proxy) } : {}) }, 'instance connected');
      for (const listener of this.openListeners) listener(inst);
    }
  }

  private onPushName(inst: LiveInstance, name: string): void {
    if (inst.row.push_name === name) return;
    this.write(inst, () => this.opts.storage.instances.updateAccount(inst.row.id, inst.row.owner, name));
    inst.row.push_name = name;
  }

  private async onQr(inst: LiveInstance, code: string): Promise<void> {
    const base64 = await QRCode.toDataURL(code, { errorCorrectionLevel: 'M', margin: 2, width: 300 });
    inst.qr = { code, base64 };
    this.commit(inst, () => [{ event: 'qrcode.updated', data: { name: inst.row.name, qrcode: { code, base64 } } }]);
  }

  /** A history chunk in parts, their progress counted from where the same sync's previous chunk left off. */
  private historyParts(inst: LiveInstance, data: BaileysEventMap['messaging-history.set']): BaileysEvent[] {
    const last = inst.historyProgress;
    const before = last && last.syncType === data.syncType ? last.progress : 0;
    if (typeof data.progress === 'number') inst.historyProgress = { syncType: data.syncType, progress: data.progress };
    return historyChunks(data, before).map(part => ({ name: 'messaging-history.set' as const, data: part }));
  }

  /**
   * Baileys hands over the events of one incoming stanza together (its event buffer's
   * flush: after a message, typically `chats.update` and `contacts.update`). Events queued
   * back to back, with nothing else queued between them, are committed in one transaction
   * instead of one each: a commit is most of what an event costs the hub.
   */
  private enqueueEvent(inst: LiveInstance, event: BaileysEvent): void {
    if (inst.batch) return void inst.batch.push(event);
    const batch = [event];
    this.enqueue(inst, async () => {
      if (inst.batch === batch) inst.batch = undefined;
      await this.onEvents(inst, batch);
    });
    inst.batch = batch;
  }

  /** A batch in order; a history sync goes alone (it commits in parts of its own). */
  private async onEvents(inst: LiveInstance, events: BaileysEvent[]): Promise<void> {
    let group: BaileysEvent[] = [];
    for (const event of events) {
      if (event.name !== 'messaging-history.set') {
        group.push(event);
        continue;
      }
      await this.onGroup(inst, group);
      group = [];
      await this.alone(inst, event);
    }
    await this.onGroup(inst, group);
  }

  private async onGroup(inst: LiveInstance, original: BaileysEvent[]): Promise<void> {
    if (original.length < 2) return original[0] && this.alone(inst, original[0]);
    const events = original.map(e => withoutIgnored(e, inst.settings)).filter((e): e is BaileysEvent => !!e);
    const source = { lidMapping: inst.session.lidMapping, socket: inst.session.socket };
    const prefetched = await Promise.all(events.map(e => prefetch(e, source)));
    const ctx = { instanceId: inst.row.id, instanceName: inst.row.name, storage: this.opts.storage };
    try {
      if (events.length) this.commit(inst, () => events.flatMap((e, i) => translate(e, { ...ctx, ...prefetched[i]! })));
    } catch (err) {
      if (err instanceof Errors.otherNode) return this.taskFailed(inst, err);
      // Nothing of the batch is stored: each event again on its own, so one that fails costs only itself, as unbatched.
      for (const event of original) await this.alone(inst, event);
      return;
    }
    // Also the calls ignoreGroups kept out of the events: that setting forgets, rejectCalls refuses.
    for (const event of original) if (event.name === 'call') rejectCalls(event.data, inst.reactions);
  }

  /** One event with the failure handling of its own task in the chain: logged, and the next one goes on. */
  private alone(inst: LiveInstance, event: BaileysEvent): Promise<void> {
    return this.onEvent(inst, event).catch(err => this.taskFailed(inst, err));
  }

  private async onEvent(inst: LiveInstance, original: BaileysEvent): Promise<void> {
    const event = withoutIgnored(original, inst.settings);
    const parts: BaileysEvent[] = !event
      ? []
      : event.name === 'messaging-history.set'
        ? this.historyParts(inst, event.data)
        : [event];
    for (const [i, part] of parts.entries()) {
      // Between two parts of a large history: sockets drain and other instances' events run.
      if (i) await new Promise(resolve => setImmediate(resolve));
      const { lookup, pictures } = await prefetch(part, { lidMapping: inst.session.lidMapping, socket: inst.session.socket });
      this.commit(inst, () => translate(part, { instanceId: inst.row.id, instanceName: inst.row.name, storage: this.opts.storage, lookup, pictures }));
    }
    // After the commit: the offer is out to clients before the hub's reject of it. Every call is
    // answered, also a group call ignoreGroups kept out: that setting forgets, rejectCalls refuses.
    if (original.name === 'call') rejectCalls(original.data, inst.reactions);
  }
}
