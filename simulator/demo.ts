import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import closeWithGrace from 'close-with-grace';
import pino from 'pino';
import { buildApp } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { DemoPhone } from './demo-phone.js';
import { WhatsAppSimulator } from './simulator.js';

/**
 * `npm run demo`: the hub and the WhatsApp simulator in one process, with a demo
 * instance, a throwaway DATA_DIR and a fresh admin key. Every setting is passed
 * explicitly rather than read from the environment, so nothing here changes how
 * `npm start` behaves. DEMO_PORT (default 8080) and DEMO_LOG_LEVEL (default warn).
 */
const PHONE = '5511900000001';
const CONTACT = '5511900000002';
const INSTANCE = 'demo';

const logger = pino({ level: process.env.DEMO_LOG_LEVEL ?? 'warn' });
const sim = await new WhatsAppSimulator({ host: '127.0.0.1', port: 0, logger: logger.child({ component: 'simulator' }) }).start();
sim.createAccount({
  phone: PHONE,
  pushName: 'Demo Shop',
  contacts: [{ phone: CONTACT, pushName: 'Ana (simulated)' }],
  history: { messages: [{ chat: CONTACT, text: 'Hello! This chat came with the history sync.' }] }
});

const dataDir = mkdtempSync(join(tmpdir(), 'wahub-demo-'));
const adminKey = randomBytes(24).toString('base64url');
const config = loadConfig({
  PORT: process.env.DEMO_PORT ?? '8080',
  HOST: '127.0.0.1',
  DATA_DIR: dataDir,
  API_KEY: adminKey,
  LOG_LEVEL: logger.level,
  WA_WS_URL: sim.url,
  WA_VERSION_URL: sim.versionUrl,
  WA_ROOT_PUBLIC_KEY: sim.rootPublicKeyHex
});
const app = await buildApp({ config, logger });
let url: string;
try {
  url = await app.listen({ port: config.PORT, host: config.HOST });
} catch (err) {
  if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
  process.stderr.write(`wahub demo: port ${config.PORT} is taken; set DEMO_PORT to another one (0 picks a free port).\n`);
  await app.close();
  await sim.stop();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(1);
}
app.hub.start();
const created = await app.inject({ method: 'POST', url: '/instance/create', headers: { apikey: adminKey }, payload: { instanceName: INSTANCE } });
if (created.statusCode !== 201) throw new Error(`could not create the demo instance: ${created.body}`);

const phone = new DemoPhone(sim, {
  hubUrl: url,
  adminKey,
  instance: INSTANCE,
  phone: PHONE,
  contact: CONTACT,
  scanDelayMs: 3000,
  chatEveryMs: 6000,
  logger
});
await phone.start();

process.stdout.write(
  [
    '',
    'wahub demo: a simulated WhatsApp, nothing leaves this machine.',
    `  Dashboard:  ${url}/`,
    `  Admin key:  ${adminKey}`,
    `  Open the dashboard, log in with the key, and press Connect on "${INSTANCE}":`,
    `  the simulated phone scans the QR after a few seconds, then +${CONTACT} starts writing.`,
    `  Data is kept in ${dataDir} until you stop the demo (Ctrl+C).`,
    '',
    `WAHUB_URL=${url}`,
    `API_KEY=${adminKey}`,
    ''
  ].join('\n')
);

closeWithGrace({ delay: 10_000 }, async ({ err }) => {
  if (err) logger.error({ err }, 'demo stopping after an error');
  phone.stop();
  await app.close();
  await sim.stop();
  rmSync(dataDir, { recursive: true, force: true });
});
