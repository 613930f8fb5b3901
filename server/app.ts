import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { toErrorBody } from './errors.js';
import { clientErrorHandler, hardenServer, httpServerOptions } from './http/http-limits.js';
import { createLogger } from './logging/logger.js';
import { quietLibsignal } from './logging/quiet-libsignal.js';
import cluster from './plugins/cluster.js';
import dashboard from './plugins/dashboard.js';
import hub from './plugins/hub.js';
import { metrics, metricsRoute } from './plugins/metrics.js';
import readiness from './plugins/readiness.js';
import storage from './plugins/storage.js';
import transports from './plugins/transports.js';

export interface BuildOptions {
  config: Config;
  /** Reconnect backoff and QR rotation, shortened by tests. */
  backoff?: { baseMs: number; maxMs: number };
  qrTimeoutMs?: number;
  logger?: Logger;
}

/** Builds the hub: third-party setup, then our services, then the surfaces. */
export async function buildApp(opts: BuildOptions): Promise<FastifyInstance> {
  const logger = opts.logger ?? createLogger({ level: opts.config.LOG_LEVEL });
  quietLibsignal(line => logger.trace({ line }, 'libsignal'));
  // Baileys logs routine events (a 515 restart, a dropped socket) as errors; the hub reports
  // those itself, so Baileys' own lines show only when debugging.
  const baileysLogger = logger.child({}, { level: ['debug', 'trace'].includes(logger.level) ? logger.level : logger.levelVal > 60 ? logger.level : 'fatal' });
  // No per-request log lines: on hot routes they cost a large share of throughput.
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request either (pino's child serialises its bindings each time): the
    // requests log nothing of their own, and the error handler names the request itself.
    childLoggerFactory: (parent, bindings, childOpts) => (childOpts.level || childOpts.serializers ? parent.child(bindings, childOpts) : parent),
    bodyLimit: 4 * 1024 * 1024,
    ...httpServerOptions(opts.config),
    clientErrorHandler,
    // Booting opens the store, runs migrations and looks up the WhatsApp Web version; on a busy
    // host that can pass Fastify's 10 s default, which would fail the boot with a plugin timeout.
    pluginTimeout: 60_000
  });

  app.setErrorHandler((err, req, reply) => {
    const body = toErrorBody(err);
    if (body.status >= 500) req.log.error({ err, reqId: req.id }, 'request failed');
    void reply.status(body.status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ status: 404, error: 'Not Found', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });

  await app.register(storage, {
    dataDir: opts.config.DATA_DIR,
    databaseUrl: opts.config.DATABASE_URL,
    queryTimeoutMs: opts.config.PG_QUERY_TIMEOUT_MS,
    allowEmpty: opts.config.ALLOW_EMPTY_DATA,
    checkIntervalMs: opts.config.STORE_CHECK_INTERVAL_MS
  });
  await app.register(metrics);
  await app.register(hub, { config: opts.config, baileysLogger, backoff: opts.backoff, qrTimeoutMs: opts.qrTimeoutMs });
  await app.register(cluster, { config: opts.config });
  await app.register(transports, { clientMaxBufferBytes: opts.config.CLIENT_MAX_BUFFER_BYTES });
  await app.register(dashboard);
  // Liveness only: the process answers. Whether it can do its work is /ready.
  app.get('/health', async () => ({ status: 'ok' }));
  await app.register(readiness);
  await app.register(metricsRoute, { metricsToken: opts.config.METRICS_TOKEN });
  // Last: Socket.IO moves the server's earlier request listeners behind its own, so a header set before it would miss its answers.
  hardenServer(app.server, opts.config);
  return app as unknown as FastifyInstance;
}
