import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import fp from 'fastify-plugin';

/**
 * The dashboard: static files served by the hub itself at `/` (no build step, no
 * external requests; the Socket.IO client comes from the hub at /socket.io/).
 */
export default fp(
  async app => {
    await app.register(fastifyStatic, {
      root: fileURLToPath(new URL('../dashboard/', import.meta.url)),
      prefix: '/',
      index: ['index.html'],
      // The page must not be framed by other sites, and loads nothing from elsewhere.
      setHeaders: res => {
        res.setHeader('content-security-policy', "default-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'");
        res.setHeader('x-content-type-options', 'nosniff');
      }
    });
  },
  { name: 'dashboard', dependencies: ['transports'] }
);
