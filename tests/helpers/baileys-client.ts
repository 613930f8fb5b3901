import makeWASocket, {
  DisconnectReason,
  initAuthCreds,
  type AuthenticationState,
  type BaileysEventMap,
  type SignalDataTypeMap,
  type WASocket
} from '@whiskeysockets/baileys';
import pino from 'pino';

type EventName = keyof BaileysEventMap;
export interface Recorded<E extends EventName = EventName> {
  event: E;
  data: BaileysEventMap[E];
}

/** An in-memory auth state; a fresh one means a new, unpaired client. */
export function memoryAuthState(): AuthenticationState {
  const store = new Map<string, unknown>();
  return {
    creds: initAuthCreds(),
    keys: {
      get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
        const out: { [id: string]: SignalDataTypeMap[T] } = {};
        for (const id of ids) {
          const value = store.get(`${type}:${id}`);
          if (value !== undefined) out[id] = value as SignalDataTypeMap[T];
        }
        return out;
      },
      set: async data => {
        for (const [type, entries] of Object.entries(data)) {
          for (const [id, value] of Object.entries(entries ?? {})) {
            if (value === null || value === undefined) store.delete(`${type}:${id}`);
            else store.set(`${type}:${id}`, value);
          }
        }
      }
    }
  };
}

const RECORDED: EventName[] = [
  'connection.update',
  'creds.update',
  'messaging-history.set',
  'messages.upsert',
  'messages.update',
  'messages.delete',
  'presence.update',
  'chats.update',
  'chats.upsert',
  'chats.delete',
  'contacts.update',
  'contacts.upsert',
  'groups.upsert',
  'groups.update',
  'group-participants.update',
  'call'
];

/**
 * A bare Baileys client as a gateway would run it: it restarts itself after a
 * 515 (and after a dropped socket, when asked), and records every event.
 */
export class TestClient {
  sock!: WASocket;
  readonly events: Recorded[] = [];
  readonly closes: number[] = [];
  private waiters: { test: (r: Recorded) => boolean; resolve: (r: Recorded) => void }[] = [];
  private stopped = false;

  constructor(
    readonly url: string,
    readonly auth: AuthenticationState = memoryAuthState(),
    private readonly opts: { reconnectOnDrop?: boolean; qrTimeout?: number } = {}
  ) {}

  start(): this {
    const sock = makeWASocket({
      waWebSocketUrl: this.url,
      auth: this.auth,
      logger: pino({ level: process.env.BAILEYS_LOG ?? 'silent' }),
      browser: ['Mac OS', 'Chrome', '14.4.1'],
      qrTimeout: this.opts.qrTimeout,
      markOnlineOnConnect: false,
      connectTimeoutMs: 10_000
    });
    this.sock = sock;
    sock.ev.on('creds.update', update => Object.assign(this.auth.creds, update));
    for (const event of RECORDED) {
      sock.ev.on(event, ((data: unknown) => this.record({ event, data } as Recorded)) as never);
    }
    sock.ev.on('connection.update', update => {
      if (update.connection !== 'close' || sock !== this.sock) return;
      const code = (update.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode ?? 0;
      this.closes.push(code);
      const restart = code === DisconnectReason.restartRequired || (this.opts.reconnectOnDrop && code === DisconnectReason.connectionClosed);
      if (restart && !this.stopped) setTimeout(() => !this.stopped && this.start(), 50);
    });
    return this;
  }

  private record(r: Recorded): void {
    this.events.push(r);
    this.waiters = this.waiters.filter(w => {
      if (!w.test(r)) return true;
      w.resolve(r);
      return false;
    });
  }

  /** Resolves with the first event recorded at or after index `since` (past or future) that passes the test. */
  waitFor<E extends EventName>(
    event: E,
    test: (data: BaileysEventMap[E]) => boolean = () => true,
    { since = 0, timeoutMs = 15_000 }: { since?: number; timeoutMs?: number } = {}
  ): Promise<BaileysEventMap[E]> {
    const match = (r: Recorded) => r.event === event && test(r.data as BaileysEventMap[E]);
    const seen = this.events.slice(since).find(match);
    if (seen) return Promise.resolve(seen.data as BaileysEventMap[E]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), timeoutMs);
      this.waiters.push({
        test: match,
        resolve: r => {
          clearTimeout(timer);
          resolve(r.data as BaileysEventMap[E]);
        }
      });
    });
  }

  /** The position to pass as `since` to wait only for what happens next. */
  get mark(): number {
    return this.events.length;
  }

  all<E extends EventName>(event: E): BaileysEventMap[E][] {
    return this.events.filter(r => r.event === event).map(r => r.data as BaileysEventMap[E]);
  }

  stop(): void {
    this.stopped = true;
    this.sock?.end(undefined);
  }
}
