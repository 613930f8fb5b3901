import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { loadConfig, type Config } from './config.js';

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  process.stderr.write(`wahub: invalid configuration: ${(err as Error).message}\n`);
  process.exit(2);
}

const app = await buildApp({ config });
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
