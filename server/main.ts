import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { loadConfig, type Config } from './config.js';
import { ConnectionLostError, EmptyDatabaseError } from '../storage/index.js';

// Before anything creates a file: what the hub makes (database, backups, marker) is its owner's alone.
process.umask(0o077);

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  process.stderr.write(`wahub: invalid configuration: ${(err as Error).message}\n`);
  process.exit(2);
}

let app: Awaited<ReturnType<typeof buildApp>>;
try {
  app = await buildApp({ config });
} catch (err) {
  if (err instanceof ConnectionLostError) {
    // The reason only: DATABASE_URL may carry a password.
    process.stderr.write(`wahub: cannot reach the database of DATABASE_URL: ${err.message}\n`);
    process.exit(4);
  }
  if (!(err instanceof EmptyDatabaseError)) throw err;
  // Starting here would silently begin without instances, credentials or messages.
  process.stderr.write(
    `wahub: refusing to start: ${err.message}, but ${config.DATA_DIR} held a database before. ` +
      'Restore the file, or set ALLOW_EMPTY_DATA=true to start afresh.\n'
  );
  process.exit(3);
}
await app.ready();
const key = app.hub.generatedAdminKey;
if (key) {
  // Printed once, on the start that generated it; only its digest is stored.
  process.stdout.write(`\nAdmin API key (shown only now, keep it safe): ${key}\nAPI_KEY=${key}\n\n`);
}
const address = await app.listen({ port: config.PORT, host: config.HOST });
process.stdout.write(`WAHUB_URL=${address}\n`);
const restored = app.hub.start();
app.log.info({ address, restored }, 'wahub listening');

closeWithGrace({ delay: 10_000 }, async ({ err }) => {
  if (err) app.log.error({ err }, 'shutting down after an error');
  await app.close();
});
