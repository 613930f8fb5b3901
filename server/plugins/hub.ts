import fp from 'fastify-plugin';
import type { Logger } from 'pino';
import { ensureAdminKey } from '../auth/admin-key.js';
import { CommandLayer } from '../commands/command-layer.js';
import { instanceCommands } from '../commands/instance-commands.js';
import { chatCommands } from '../commands/chat-commands.js';
import { chatSettingCommands } from '../commands/chat-settings-commands.js';
import { messageCommands } from '../commands/message-commands.js';
import { queueCommands } from '../commands/queue-commands.js';
import { adminCommands } from '../commands/admin-commands.js';
import { webhookCommands } from '../commands/webhook-commands.js';
import { groupCommands } from '../commands/group-commands.js';
import { GroupDirectory } from '../commands/group-directory.js';
import { settingsCommands } from '../commands/settings-commands.js';
import { lidCommands } from '../commands/lid-commands.js';
import { mediaCommands } from '../commands/media-commands.js';
import { MediaService } from '../media/media-service.js';
import { MediaSigner } from '../media/media-signing.js';
import { RateLimiter } from '../commands/rate-limiter.js';
import { QueueManager } from '../queue/queue-manager.js';
import { SendScheduler } from '../queue/send-scheduler.js';
import type { Config } from '../config.js';
import { EventPipeline } from '../events/event-pipeline.js';
import { InstanceRegistry } from '../instances/instance-registry.js';
import { applyRootPublicKey } from '../instances/wa-socket.js';
import { formatVersion, WaVersionSource } from '../instances/wa-version.js';
import { makeAuthenticator, type Authenticator } from '../transports/authenticate.js';
import { WebhookManager } from '../webhooks/webhook-manager.js';
import { EVENT_NAMES, type EventName } from '../../protocol/index.js';

export interface Hub {
  pipeline: EventPipeline;
  registry: InstanceRegistry;
  commands: CommandLayer;
  queues: QueueManager;
  webhooks: WebhookManager;
  /** The WhatsApp Web version new connections announce, and where it came from. */
  versions: WaVersionSource;
  /** Media in and out of DATA_DIR/media; GET /media serves from it. */
  media: MediaService;
  signer: MediaSigner;
  authenticate: Authenticator;
  /** Reconnects every paired instance and picks up every queue that still has work; returns how many instances. */
  start(): number;
  /** True once `start` has restored the sessions. */
  readonly started: boolean;
  /** Set only on the start that generated the admin key: it is shown once, never stored in clear. */
  generatedAdminKey?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    hub: Hub;
  }
}

export interface HubOptions {
  config: Config;
  baileysLogger: Logger;
  backoff?: { baseMs: number; maxMs: number };
  qrTimeoutMs?: number;
}

/** The hub's services: event pipeline, instance registry and the command layer. */
export default fp(
  async (app, opts: HubOptions) => {
    applyRootPublicKey(opts.config.WA_ROOT_PUBLIC_KEY);
    const pipeline = new EventPipeline(app.storage, app.log as unknown as Logger, app.metrics.observer);
    const versions = new WaVersionSource({
      override: opts.config.WA_VERSION,
      url: opts.config.WA_VERSION_URL,
      timeoutMs: opts.config.WA_VERSION_TIMEOUT_MS,
      log: app.log as unknown as Logger
    });
    // Before any session starts: a stale version is refused by WhatsApp with 405.
    const chosen = await versions.refresh();
    app.log.info({ version: formatVersion(chosen.version), source: chosen.source }, 'WhatsApp Web version');
    const registry = new InstanceRegistry({
      storage: app.storage,
      pipeline,
      config: opts.config,
      logger: opts.baileysLogger,
      log: app.log as unknown as Logger,
      store: app.storeMonitor,
      backoff: opts.backoff,
      qrTimeoutMs: opts.qrTimeoutMs,
      observer: app.metrics.observer,
      versions
    });
    const media = new MediaService(
      app.storage,
      opts.config,
      {
        socketOf: name => {
          try {
            return registry.get(name).session.socket;
          } catch {
            return undefined;
          }
        },
        proxyOf: name => {
          try {
            return registry.get(name).settings.proxy;
          } catch {
            return null;
          }
        },
        write: (instanceId, fn) => registry.writeFor(instanceId, fn)
      },
      app.log as unknown as Logger
    );
    pipeline.addSink(media.sink);
    const signer = new MediaSigner(app.storage.settings);
    const scheduler = new SendScheduler();
    const groups = new GroupDirectory(registry, app.storage);
    const queues = new QueueManager(app.storage, registry, scheduler, app.log as unknown as Logger, {
      ackTimeoutMs: opts.config.SEND_ACK_TIMEOUT_MS,
      maxAttempts: opts.config.SEND_MAX_ATTEMPTS,
      checkGroup: (instance, sock, jid) => groups.sender(instance, sock, jid),
      mediaPathOf: sha256 => media.store.pathOf(sha256)
    });
    const { config } = opts;
    const webhooks = new WebhookManager(
      app.storage,
      {
        maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
        backoffBaseMs: config.WEBHOOK_BACKOFF_BASE_MS,
        backoffMaxMs: config.WEBHOOK_BACKOFF_MAX_MS,
        pageSize: 100
      },
      config.WEBHOOK_ALLOW_PRIVATE,
      app.log as unknown as Logger
    );
    pipeline.addSink(webhooks.sink);
    // Checked at registration, so a wrong WEBHOOK_EVENTS stops the boot.
    const globalWebhook = config.WEBHOOK_URL ? { url: config.WEBHOOK_URL, secret: config.WEBHOOK_SECRET, events: webhookEvents(config.WEBHOOK_EVENTS) } : undefined;
    registry.onDeleted(id => webhooks.forgetInstance(id));
    const commands = new CommandLayer(
      {
        ...instanceCommands(registry, app.storage),
        ...messageCommands(registry, app.storage, scheduler, groups),
        ...mediaCommands(registry, app.storage, scheduler, media, signer, config.MEDIA_URL_TTL_SECONDS),
        ...chatCommands(registry, app.storage),
        ...chatSettingCommands(registry, app.storage),
        ...queueCommands(queues, media),
        ...adminCommands(app.storage),
        ...webhookCommands(webhooks, registry),
        ...groupCommands(registry, groups),
        ...settingsCommands(registry),
        ...lidCommands(registry)
      },
      name => registry.idOf(name),
      new RateLimiter(opts.config.RATE_LIMIT_PER_SECOND)
    );
    // Retention: old events go, hourly; live subscribers already have everything (delivery is synchronous).
    const prune = () => {
      const removed = app.storage.events.prune({
        maxAgeMs: opts.config.EVENT_RETENTION_HOURS > 0 ? opts.config.EVENT_RETENTION_HOURS * 3_600_000 : undefined,
        maxCount: opts.config.EVENT_RETENTION_COUNT > 0 ? opts.config.EVENT_RETENTION_COUNT : undefined
      });
      if (removed) app.log.info({ removed }, 'pruned old events');
    };
    const pruneMedia = () => {
      const removed = media.prune();
      if (removed) app.log.info({ removed }, 'removed media past MEDIA_RETENTION_DAYS');
    };
    const pruneTimer = setInterval(() => {
      prune();
      pruneMedia();
    }, 3_600_000).unref();
    app.addHook('onReady', async () => pruneMedia());
    app.addHook('onReady', async () => prune());
    app.addHook('onClose', async () => clearInterval(pruneTimer));
    const admin = ensureAdminKey(app.storage, opts.config.API_KEY);
    let started = false;
    const start = () => {
      // Before the sessions: a global row first made now starts at the seq before their events.
      webhooks.start(globalWebhook);
      const restored = registry.restoreAll();
      queues.resumeAll();
      started = true;
      return restored;
    };
    const hub: Hub = {
      pipeline,
      registry,
      commands,
      queues,
      webhooks,
      versions,
      media,
      signer,
      start,
      get started() {
        return started;
      },
      authenticate: makeAuthenticator(admin.hash, registry), generatedAdminKey: admin.generated
    };
    app.decorate('hub', hub);
    // Sessions stop before the store closes (hooks run in reverse order of registration).
    app.addHook('onClose', async () => {
      await webhooks.close();
      await queues.close();
      await media.close();
      await registry.closeAll();
    });
  },
  { name: 'hub', dependencies: ['storage', 'metrics'] }
);

/** `WEBHOOK_EVENTS` as a filter: comma-separated canonical names, every event when empty. */
function webhookEvents(list: string | undefined): EventName[] | null {
  const names = (list ?? '').split(',').map(n => n.trim()).filter(Boolean);
  const unknown = names.filter(n => !EVENT_NAMES.includes(n as EventName));
  if (unknown.length) throw new Error(`WEBHOOK_EVENTS names unknown events: ${unknown.join(', ')}`);
  return names.length ? (names as EventName[]) : null;
}
