import pino from 'pino';
import { buildControlApi } from './control-api.js';
import { quietLibsignal } from '../server/logging/quiet-libsignal.js';
import { WhatsAppSimulator } from './simulator.js';

/**
 * `npm run simulator`: the WhatsApp simulator as its own process.
 * SIM_PORT (WebSocket, default 7080), SIM_CONTROL_PORT (HTTP, default 7081),
 * SIM_HOST (default 127.0.0.1), SIM_QR_REFS, SIM_RECEIPT_DELAY_MS, LOG_LEVEL.
 */
const env = process.env;
const int = (name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    process.stderr.write(`${name} must be a non-negative integer, got "${raw}"\n`);
    process.exit(2);
  }
  return value;
};

const logger = pino({ level: env.LOG_LEVEL ?? 'info' });
quietLibsignal(line => logger.trace({ line }, 'libsignal'));
const host = env.SIM_HOST ?? '127.0.0.1';
const sim = await new WhatsAppSimulator({
  host,
  port: int('SIM_PORT', 7080),
  qrRefs: int('SIM_QR_REFS', 6),
  receiptDelayMs: int('SIM_RECEIPT_DELAY_MS', 200),
  logger
}).start();
const api = buildControlApi(sim);
const controlUrl = await api.listen({ host, port: int('SIM_CONTROL_PORT', 7081) });
sim.pictureBaseUrl = `${controlUrl}/pictures`;

// The two lines a hub needs, plainly, for scripts and people alike.
process.stdout.write(`WA_WS_URL=${sim.url}\nWA_ROOT_PUBLIC_KEY=${sim.rootPublicKeyHex}\nSIM_CONTROL_URL=${controlUrl}\n`);

const shutdown = async () => {
  await api.close();
  await sim.stop();
  process.exit(0);
};
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
