import fp from 'fastify-plugin';

/**
 * `GET /ready`: 200 only when the hub can do its work: the store takes writes and is
 * still the file it opened, every migration is applied, and the sessions were restored.
 * Otherwise 503 in the error shape, with each check named. `/health` stays liveness.
 */
export default fp(
  async app => {
    app.get('/ready', { schema: { hide: true } }, async (_req, reply) => {
      const problem = app.storeMonitor.check();
      const checks = {
        store: problem ? problem.reason : 'ok',
        // A store that cannot be reached (PostgreSQL down) cannot be asked for its schema either.
        migrations: problem ? 'not checked' : app.storage.health.migrated() ? 'ok' : 'pending',
        sessions: app.hub.started ? 'ok' : 'not restored yet'
      };
      const failing = Object.entries(checks).filter(([, v]) => v !== 'ok');
      if (!failing.length) return { status: 'ready', checks };
      return reply.status(503).send({
        status: 503,
        error: 'Service Unavailable',
        message: `not ready: ${failing.map(([k, v]) => `${k}: ${v}`).join('; ')}`,
        checks
      });
    });
  },
  { name: 'readiness', dependencies: ['storage', 'hub'] }
);
