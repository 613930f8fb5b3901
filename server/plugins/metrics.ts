import { timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { tokenDigest } from '../auth/tokens.js';
import { Errors } from '../errors.js';
import { HubMetrics } from '../metrics/hub-metrics.js';
import { instanceState } from '../commands/instance-commands.js';
import { INSTANCE_STATES } from '../instances/instance-state.js';
import { RECIPIENT_STATES } from '../queue/queue-state.js';

/** Every state as a series from the first scrape, so a dashboard's query finds 0 rather than nothing. */
const zeros = (states: readonly string[]): Record<string, number> => Object.fromEntries(states.map(s => [s, 0]));

declare module 'fastify' {
  interface FastifyInstance {
    metrics: HubMetrics;
  }
}

/** The metrics registry and the hooks the services report to; registered before them. */
export const metrics = fp(
  async app => {
    app.decorate('metrics', new HubMetrics());
  },
  { name: 'metrics' }
);

/** The credential a request presents: `Authorization: Bearer …` (what Prometheus sends) or the REST `apikey` header. */
function presented(req: FastifyRequest): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (bearer) return bearer[1];
  return typeof req.headers.apikey === 'string' ? req.headers.apikey : undefined;
}

/**
 * `GET /metrics` in Prometheus' text format, for the admin key or `METRICS_TOKEN`
 * (a token that opens nothing else, so a scraper's credential cannot run commands).
 * An instance token is a known caller that may not read it: 403.
 */
export const metricsRoute = fp(
  async (app, opts: { metricsToken?: string }) => {
    const { registry } = app.hub;
    app.metrics.watch({
      instanceStates: () => {
        const counts = zeros(INSTANCE_STATES);
        for (const inst of registry.list()) {
          const state = instanceState(inst);
          counts[state] = (counts[state] ?? 0) + 1;
        }
        return counts;
      },
      sockets: () => app.delivery.census(),
      waVersions: () => {
        const counts: Record<string, number> = {};
        for (const inst of registry.list()) {
          const v = inst.session.version;
          if (v) counts[v.join('.')] = (counts[v.join('.')] ?? 0) + 1;
        }
        return counts;
      },
      droppedTooSlow: () => ({ ...app.deliveryStats.droppedTooSlow }),
      queueRecipients: () => ({ ...zeros(RECIPIENT_STATES), ...app.storage.queues.statesOverall() }),
      webhooks: () => {
        const byStatus: Record<string, number> = { ok: 0, retrying: 0, failing: 0 };
        let lagEvents = 0;
        for (const hook of app.storage.webhooks.listAll()) {
          if (!hook.enabled) continue;
          byStatus[hook.status] = (byStatus[hook.status] ?? 0) + 1;
          lagEvents += Math.max(0, app.storage.events.lastSeq(hook.instance_id) - hook.cursor);
        }
        return { byStatus, lagEvents, deadLetters: app.storage.webhooks.countDeadLetters() };
      }
    });
    const metricsDigest = opts.metricsToken ? tokenDigest(opts.metricsToken) : undefined;
    const isMetricsToken = (key: string) => {
      if (!metricsDigest) return false;
      const digest = tokenDigest(key);
      return digest.length === metricsDigest.length && timingSafeEqual(digest, metricsDigest);
    };
    app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
      const key = presented(req);
      if (!key) throw new Errors.unauthorized();
      if (!isMetricsToken(key)) {
        const principal = app.hub.authenticate(key);
        if (!principal) throw new Errors.unauthorized();
        if (principal.kind !== 'admin') throw new Errors.adminOnly('GET /metrics');
      }
      return reply.type(app.metrics.contentType).send(await app.metrics.text());
    });
  },
  { name: 'metrics-route', dependencies: ['metrics', 'hub', 'transports', 'storage'] }
);
