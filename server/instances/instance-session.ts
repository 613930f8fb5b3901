import { DisconnectReason, type AuthenticationState, type BaileysEventMap, type ChatModification, type WAMessage, type WASocket } from '@whiskeysockets/baileys';
import type { Logger } from 'pino';
import { watchClearedChats } from './cleared-chats.js';
import { rotateSenderKeyOnRemoval } from './sender-key-rotation.js';
import { upsertJoinedGroups } from './joined-groups.js';
import { backoffDelay } from './reconnect-policy.js';
import { canMove, type InstanceState } from './instance-state.js';
import { cachedKeys } from './key-cache.js';
import { createWaSocket, type WaSocketOptions } from './wa-socket.js';
import { proxyAgents, redactProxy } from './proxy-agent.js';

/** WhatsApp's answer to a client version it no longer accepts (`<failure reason="405">`). */
export const VERSION_REFUSED = 405;

/** A Baileys event as the session hands it on, tagged with its name. */
export type BaileysEvent = { [E in keyof BaileysEventMap]: { name: E; data: BaileysEventMap[E] } }[keyof BaileysEventMap];

/** The Baileys events the hub translates; everything else stays inside Baileys. */
export const FORWARDED_EVENTS = [
  'messaging-history.set',
  'chats.upsert',
  'chats.update',
  'chats.delete',
  'presence.update',
  'contacts.upsert',
  'contacts.update',
  'messages.upsert',
  'messages.update',
  'messages.delete',
  'groups.upsert',
  'groups.update',
  'group-participants.update',
  'call'
] as const satisfies readonly (keyof BaileysEventMap)[];

/** What comes with a state change: the account when it opens, why when it closed. */
export interface StateExtra {
  owner?: string;
  pushName?: string;
  /** Why the connection closed, in words (the proxy named when one is set). */
  reason?: string;
}

/** What a session reports to whoever owns it. */
export interface SessionHooks {
  /** A state change with the disconnect status code behind it (200 when open). */
  onState(state: InstanceState, statusReason: number, extra: StateExtra): void;
  onQr(code: string): void;
  onEvent(event: BaileysEvent): void;
  /** An inbound message to commit before it is receipted; a rejection leaves it unacknowledged. */
  commitMessage(data: BaileysEventMap['messages.upsert']): Promise<void>;
  /** Credentials changed; persist them. */
  onCreds(): void;
  /** WhatsApp told the account's push name (after the first pairing this comes only after the connection opened). */
  onPushName(name: string): void;
  /** The account logged out: wipe the credentials. */
  onLoggedOut(): void;
  /** Every `messages.upsert` as Baileys emitted it (after its receipts), committed before or not. */
  onUpserted?(data: BaileysEventMap['messages.upsert']): void;
  /** A closed connection is about to be opened again (at once or after a backoff), for the close's status code. */
  onReconnect(code: number): void;
}

export interface SessionAuth {
  state: AuthenticationState;
  hasAccount(): boolean;
}

export interface SessionOptions {
  name: string;
  auth: () => SessionAuth;
  logger: Logger;
  url?: string;
  qrMaxCount: number;
  qrTimeoutMs?: number;
  backoff: { baseMs: number; maxMs: number };
  getMessage: WaSocketOptions['getMessage'];
  cachedGroupMetadata: WaSocketOptions['cachedGroupMetadata'];
  /** The WhatsApp Web version a new socket announces. */
  version?: () => [number, number, number];
  /** WhatsApp refused a version (405): looks the current one up again and answers it. */
  refreshVersion?: () => Promise<[number, number, number]>;
  /** The instance's settings now; read when a socket is made and by Baileys as it goes. */
  settings?: () => { alwaysOnline: boolean; syncFullHistory: boolean; proxy: string | null };
  hooks: SessionHooks;
}

/**
 * One WhatsApp session. Owns at most one Baileys socket at a time and drives the
 * instance state machine from Baileys' `connection.update`: the 515 restart after
 * pairing reconnects at once, a lost connection retries with backoff, a logout,
 * a session taken over by another client (440) or an unscanned QR gives up (`refused`).
 */
export class InstanceSession {
  private sock?: WASocket;
  private current: InstanceState = 'close';
  private qrShown = 0;
  private attempt = 0;
  private retryTimer?: NodeJS.Timeout;
  private stopped = true;
  /** The version the last socket announced; undefined before the first. */
  private announced?: [number, number, number];
  /** Stops the current socket's key writes from reaching the store (see `open`). */
  private retire: () => void = () => undefined;
  private settleWaiters: (() => void)[] = [];

  constructor(private readonly opts: SessionOptions) {}

  get state(): InstanceState {
    return this.current;
  }

  /** The WhatsApp Web version of the current (or last) connection. */
  get version(): [number, number, number] | undefined {
    return this.announced;
  }

  get socket(): WASocket | undefined {
    return this.current === 'open' ? this.sock : undefined;
  }

  /** The socket while it waits to be paired (showing a QR), which can also pair by code. */
  get pairingSocket(): WASocket | undefined {
    return this.current === 'qr' ? this.sock : undefined;
  }

  /** Baileys' LID ↔ phone-number mapping of the current socket, open or not. */
  get lidMapping(): WASocket['signalRepository']['lidMapping'] | undefined {
    return this.sock?.signalRepository.lidMapping;
  }

  /** Connects (or reconnects now, if a retry was pending). */
  start(): void {
    this.stopped = false;
    clearTimeout(this.retryTimer);
    if (this.sock && (this.current === 'connecting' || this.current === 'qr' || this.current === 'open')) return;
    this.qrShown = 0;
    this.open();
  }

  /**
   * Means to be connected from now on, but opens only at the next `start` (a restore
   * waiting for its turn); a `stop` before then cancels it.
   */
  hold(): void {
    this.stopped = false;
    clearTimeout(this.retryTimer);
  }

  /** Resolves once the session is in a state other than `connecting` (at once if it is). */
  settled(): Promise<void> {
    if (this.current !== 'connecting') return Promise.resolve();
    return new Promise(resolve => this.settleWaiters.push(resolve));
  }

  /** True from `start` until `stop` or a logout: the session means to be connected. */
  get active(): boolean {
    return !this.stopped;
  }

  /** Ends the socket at once, so nothing more is acknowledged, and reports `close` with the reason; `start` resumes. */
  suspend(statusReason: number): void {
    this.stop();
    this.move('close', statusReason);
  }

  /** Ends the socket and stops retrying; the instance keeps its credentials. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const sock = this.sock;
    this.sock = undefined;
    sock?.end(undefined);
  }

  /**
   * Baileys' `chatModify` on the open socket. Baileys emits its own events for every
   * change but a cleared chat, which is reported here as the `messages.delete` it
   * declares for that (`{ jid, all: true }`).
   */
  async modifyChat(mod: ChatModification, jid: string): Promise<void> {
    const sock = this.socket;
    if (!sock) throw new Error('not connected');
    await sock.chatModify(mod, jid);
    // Baileys emits its own change inside the event buffer its app-state resync opened, and
    // rc14 can lose that buffer's scheduled flush (a stanza handled mid-resync flushes early,
    // and the timer left behind then never re-arms): the event would wait for the next
    // stanza or 30 s. Flushing here is what every incoming stanza does anyway.
    sock.ev.flush();
    if ('clear' in mod && sock === this.sock) this.opts.hooks.onEvent({ name: 'messages.delete', data: { jid, all: true } });
  }

  /** Logs the account out on WhatsApp (unlinks this device), then stops. */
  async logout(): Promise<void> {
    const sock = this.sock;
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (sock && this.current === 'open') {
      await sock.logout().catch(err => this.opts.logger.warn({ err }, 'logout request failed'));
    }
    this.sock = undefined;
    sock?.end(undefined);
    this.retire();
    this.opts.hooks.onLoggedOut();
    this.move('refused', DisconnectReason.loggedOut);
  }

  private open(): void {
    const auth = this.opts.auth();
    // Baileys finishes in-flight work after `end` (pre-key uploads, session writes); once the account
    // logged out, those late writes must not put back the keys the logout wiped.
    let retired = false;
    this.retire = () => void (retired = true);
    const keys = auth.state.keys;
    this.announced = this.opts.version?.();
    const proxy = this.opts.settings?.().proxy ?? null;
    const sock = createWaSocket({
      version: this.announced,
      agents: proxy ? proxyAgents(proxy) : undefined,
      auth: {
        creds: auth.state.creds,
        // One cache per connection, so whatever ended this one (a logout, a failed write) leaves the next one none.
        keys: cachedKeys({
          get: (type, ids) => keys.get(type, ids),
          set: async data => {
            if (!retired) await keys.set(data);
          },
          clear: async () => keys.clear?.()
        })
      },
      logger: this.opts.logger.child({ class: 'baileys' }),
      url: this.opts.url,
      qrTimeoutMs: this.opts.qrTimeoutMs,
      getMessage: this.opts.getMessage,
      cachedGroupMetadata: this.opts.cachedGroupMetadata,
      markOnline: this.opts.settings?.().alwaysOnline,
      fullHistory: () => this.opts.settings?.().syncFullHistory ?? false,
      beforeMessageReceipt: async (msg, type) => {
        if (sock !== this.sock) throw new Error('the socket was replaced');
        await this.opts.hooks.commitMessage({ messages: [msg], type });
        committed.add(msg);
      }
    });
    // Messages already committed before their receipt; Baileys emits the same objects again in `messages.upsert`.
    const committed = new WeakSet<WAMessage>();
    this.sock = sock;
    let opened = false;
    // Baileys listens for ws's 'unexpected-response' (so ws raises no error) but does nothing
    // with it: a proxy refusing the tunnel (407, 502) would only end as a timeout 20 s later.
    sock.ws.on('unexpected-response', (_req: unknown, res: { statusCode?: number; statusMessage?: string }) => {
      const status = res.statusCode ?? 0;
      const error = Object.assign(new Error(`the WebSocket upgrade was answered HTTP ${status} ${res.statusMessage ?? ''}`.trim()), { output: { statusCode: status } });
      void sock.end(error as never);
    });
    this.move('connecting', 0);
    sock.ev.on('creds.update', update => {
      if (sock !== this.sock) return;
      const name = update.me?.name;
      Object.assign(auth.state.creds, update);
      this.opts.hooks.onCreds();
      if (name) this.opts.hooks.onPushName(name);
    });
    sock.ev.on('connection.update', update => {
      if (sock !== this.sock) return; // a replaced socket's last words
      if (update.qr) this.onQr(update.qr);
      if (update.connection === 'open') {
        opened = true;
        this.attempt = 0;
        this.qrShown = 0;
        const me = auth.state.creds.me;
        this.move('open', 200, { owner: me?.id, pushName: me?.name });
      }
      if (update.connection === 'close') {
        const error = update.lastDisconnect?.error as { message?: string; output?: { statusCode?: number } } | undefined;
        const code = error?.output?.statusCode ?? 0;
        // A connection that never opened through a proxy most often failed at the proxy: say which.
        const reason = error?.message ? (proxy && !opened ? `via proxy ${redactProxy(proxy)}: ${error.message}` : error.message) : undefined;
        this.onClose(code, reason);
      }
    });
    watchClearedChats(
      sock,
      auth.state.keys,
      jid => sock === this.sock && this.opts.hooks.onEvent({ name: 'messages.delete', data: { jid, all: true } }),
      this.opts.logger
    );
    rotateSenderKeyOnRemoval(sock, () => sock === this.sock, this.opts.logger);
    upsertJoinedGroups(sock, () => sock === this.sock, event => this.opts.hooks.onEvent(event), this.opts.logger);
    for (const name of FORWARDED_EVENTS) {
      sock.ev.on(name, ((data: unknown) => {
        if (sock !== this.sock) return;
        if (name === 'messages.upsert') {
          const upsert = data as BaileysEventMap['messages.upsert'];
          this.opts.hooks.onUpserted?.(upsert);
          const rest = upsert.messages.filter(m => !committed.has(m));
          if (!rest.length) return;
          data = { ...upsert, messages: rest };
        }
        this.opts.hooks.onEvent({ name, data } as BaileysEvent);
      }) as never);
    }
  }

  private onQr(code: string): void {
    this.qrShown++;
    if (this.qrShown > this.opts.qrMaxCount) {
      // Shown as often as allowed and nobody scanned: give up until asked again.
      this.opts.logger.info({ shown: this.qrShown - 1 }, 'QR not scanned; giving up');
      this.stop();
      this.move('close', DisconnectReason.timedOut);
      this.move('refused', DisconnectReason.timedOut);
      return;
    }
    this.move('qr', 0);
    this.opts.hooks.onQr(code);
  }

  private onClose(code: number, reason?: string): void {
    this.sock = undefined;
    this.move('close', code, reason ? { reason } : {});
    if (this.stopped) return;
    if (code === DisconnectReason.connectionReplaced) {
      // Another client took this session: reconnecting would take it back, and both would fight forever.
      this.stopped = true;
      this.move('refused', code);
      return;
    }
    if (code === DisconnectReason.loggedOut || code === DisconnectReason.forbidden) {
      this.stopped = true;
      this.opts.hooks.onLoggedOut();
      this.move('refused', code);
      return;
    }
    if (code === DisconnectReason.timedOut && !this.opts.auth().hasAccount()) {
      // Baileys ran out of QR refs and nobody scanned: a new connection brings new ones.
      this.opts.hooks.onReconnect(code);
      this.open();
      return;
    }
    if (code === VERSION_REFUSED && this.opts.refreshVersion) {
      void this.onVersionRefused();
      return;
    }
    if (code === DisconnectReason.restartRequired) {
      // WhatsApp asks for this right after pairing; the old socket is finished.
      this.opts.hooks.onReconnect(code);
      this.open();
      return;
    }
    const delay = backoffDelay(this.attempt++, this.opts.backoff);
    this.opts.logger.info({ code, delay }, 'connection closed; reconnecting');
    this.opts.hooks.onReconnect(code);
    this.retryTimer = setTimeout(() => !this.stopped && this.open(), delay);
  }

  /**
   * WhatsApp retired the version this connection announced. Retrying it would be refused
   * forever, so the current version is looked up and the connection opened again at once
   * with it; when the lookup finds nothing newer, the session gives up (`refused`, 405)
   * rather than loop, until `WA_VERSION` or the lookup has a version WhatsApp takes.
   */
  private async onVersionRefused(): Promise<void> {
    const refused = this.announced;
    const fresh = await this.opts.refreshVersion!();
    if (this.stopped || this.sock) return;
    if (refused && fresh.join('.') === refused.join('.')) {
      this.opts.logger.warn({ version: refused.join('.') }, 'WhatsApp refused the version and no newer one was found; giving up');
      this.stopped = true;
      this.move('refused', VERSION_REFUSED);
      return;
    }
    this.opts.logger.info({ refused: refused?.join('.'), version: fresh.join('.') }, 'WhatsApp refused the version; reconnecting with the current one');
    this.opts.hooks.onReconnect(VERSION_REFUSED);
    this.open();
  }

  private move(to: InstanceState, statusReason: number, extra: StateExtra = {}): void {
    const from = this.current;
    if (from === to && to !== 'qr') return;
    if (!canMove(from, to)) {
      this.opts.logger.warn({ from, to }, 'ignored illegal state move');
      return;
    }
    this.current = to;
    this.opts.hooks.onState(to, statusReason, extra);
    if (to !== 'connecting' && this.settleWaiters.length) for (const resolve of this.settleWaiters.splice(0)) resolve();
  }
}
