import { join } from 'node:path';
import fp from 'fastify-plugin';
import { createStorage, type Storage } from '../../storage/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    storage: Storage;
  }
}

/** The SQLite store, opened at registration and closed with the app. */
export default fp(
  async (app, opts: { dataDir: string }) => {
    const storage = createStorage(join(opts.dataDir, 'wahub.sqlite'));
    app.decorate('storage', storage);
    app.addHook('onClose', async () => storage.close());
  },
  { name: 'storage' }
);
