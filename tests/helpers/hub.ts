import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { io as connect, type Socket } from 'socket.io-client';
import { PNG } from 'pngjs';
import jsQRModule from 'jsqr';
import { buildApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import type { EventEnvelope } from '../../protocol/index.js';
import type { WhatsAppSimulator } from '../../simulator/simulator.js';
import { sharedPostgres } from './postgres.js';
import { tempDir } from './temp-dir.js';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

export interface TestHub {
  app: FastifyInstance;
  url: string;
  dataDir: string;
  request(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; json: any }>;
  close(): Promise<void>;
}

/** HTTP helper against any hub URL (in-process or a spawned process). */
export function hubClient(url: string) {
  return {
    url,
    async request(method: string, path: string, body?: unknown, key = ADMIN_KEY): Promise<{ status: number; json: any }> {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { apikey: key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body)
      });
      return { status: res.status, json: await res.json() };
    }
  };
}

/** One database per data folder, so a hub restarted on the same folder finds its state again. */
const databases = new Map<string, Promise<string>>();

/**
 * With HUB_DATABASE=postgres every hub that names no DATABASE_URL of its own gets
 * a PostgreSQL database instead of its SQLite file, on one server per test file.
 * It runs a whole e2e file against PostgreSQL unchanged.
 */
function databaseFor(dataDir: string): Promise<string> | undefined {
  if (process.env.HUB_DATABASE !== 'postgres') return undefined;
  let url = databases.get(dataDir);
  if (!url) databases.set(dataDir, (url = sharedPostgres().then(server => server.createDatabase())));
  return url;
}

/** Builds the real hub on a temporary SQLite file (or PostgreSQL database, above) and a loopback port, pointed at the simulator. */
export async function startHub(sim: Pick<WhatsAppSimulator, 'url' | 'rootPublicKeyHex'> & Partial<Pick<WhatsAppSimulator, 'versionUrl'>>, opts: { dataDir?: string; env?: Record<string, string>; qrTimeoutMs?: number } = {}): Promise<TestHub> {
  const dir = opts.dataDir ? undefined : tempDir('wahub-hub-');
  const dataDir = opts.dataDir ?? dir!.path;
  const databaseUrl = opts.env?.DATABASE_URL ? undefined : await databaseFor(dataDir);
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    API_KEY: ADMIN_KEY,
    LOG_LEVEL: 'silent',
    QR_MAX_COUNT: '6',
    WA_WS_URL: sim.url,
    // The simulator publishes the version; a test hub never asks web.whatsapp.com (a simulator
    // in another process publishes none: the lookup is refused at once and the pinned version is used).
    WA_VERSION_URL: sim.versionUrl ?? 'http://127.0.0.1:9/sw.js',
    WA_ROOT_PUBLIC_KEY: sim.rootPublicKeyHex,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...opts.env
  });
  const app = await buildApp({ config, backoff: { baseMs: 100, maxMs: 1000 }, qrTimeoutMs: opts.qrTimeoutMs, logger: pino({ level: process.env.HUB_LOG ?? 'silent' }) });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  app.hub.start();
  return {
    app,
    url,
    dataDir,
    request: hubClient(url).request,
    async close() {
      await app.close();
      dir?.cleanup();
    }
  };
}

/** A Socket.IO client that records every envelope it receives. */
export class EventClient {
  readonly socket: Socket;
  readonly events: EventEnvelope[] = [];
  private waiters: { test: (e: EventEnvelope) => boolean; resolve: (e: EventEnvelope) => void }[] = [];

  constructor(url: string, token: string) {
    this.socket = connect(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    this.socket.onAny((_name: string, envelope: EventEnvelope) => {
      this.events.push(envelope);
      this.waiters = this.waiters.filter(w => (w.test(envelope) ? (w.resolve(envelope), false) : true));
    });
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.connected) return resolve();
      this.socket.once('connect', () => resolve());
      this.socket.once('connect_error', reject);
    });
  }

  emit(event: string, args: unknown, timeoutMs = 10_000): Promise<any> {
    return this.socket.timeout(timeoutMs).emitWithAck(event, args);
  }

  waitFor<N extends EventEnvelope['event']>(event: N, test: (e: Extract<EventEnvelope, { event: N }>) => boolean = () => true, timeoutMs = 20_000): Promise<Extract<EventEnvelope, { event: N }>> {
    const match = (e: EventEnvelope) => e.event === event && test(e as Extract<EventEnvelope, { event: N }>);
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen as Extract<EventEnvelope, { event: N }>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), timeoutMs);
      this.waiters.push({ test: match, resolve: e => (clearTimeout(timer), resolve(e as Extract<EventEnvelope, { event: N }>)) });
    });
  }

  of<N extends EventEnvelope['event']>(event: N): Extract<EventEnvelope, { event: N }>[] {
    return this.events.filter(e => e.event === event) as Extract<EventEnvelope, { event: N }>[];
  }

  close(): void {
    this.socket.close();
  }
}

// jsqr is CommonJS with `export default` typings: the function sits on `.default` or is the module itself.
const jsQR = ((jsQRModule as unknown as { default?: unknown }).default ?? jsQRModule) as unknown as typeof import('jsqr').default;

/** Decodes the QR image of a `data:image/png;base64,` URL back to its text. */
export function decodeQrDataUrl(dataUrl: string): string | undefined {
  const png = PNG.sync.read(Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64'));
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
}
