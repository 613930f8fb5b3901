import pino from 'pino';
import { buildControlApi } from './control-api.js';
import { quietLibsignal } from '../server/logging/quiet-libsignal.js';
import { WhatsAppSimulator, type WaVersion } from './simulator.js';

/**
 * `npm run simulator`: the WhatsApp simulator as its own process.
 * SIM_PORT (WebSocket, default 7080), SIM_CONTROL_PORT (HTTP, default 7081),
 * SIM_HOST (default 127.0.0.1), SIM_QR_REFS, SIM_RECEIPT_DELAY_MS, SIM_MIN_VERSION, LOG_LEVEL.
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

/** `2.3000.1043857760` as Baileys writes it, `[2, 3000, 1043857760]`. */
const version = (name: string): WaVersion | undefined => {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(raw);
  if (!m) {
    process.stderr.write(`${name} must be a version like 2.3000.1043857760, got "${raw}"\n`);
    process.exit(2);
  }
  return [Number(m[1]), Number(m[2]), Number(m[3])];
};

const logger = pino({ level: env.LOG_LEVEL ?? 'info' });
quietLibsignal(line => logger.trace({ line }, 'libsignal'));
const host = env.SIM_HOST ?? '127.0.0.1';
const sim = await new WhatsAppSimulator({
  host,
  port: int('SIM_PORT', 7080),
  qrRefs: int('SIM_QR_REFS', 6),
  receiptDelayMs: int('SIM_RECEIPT_DELAY_MS', 200),
  minVersion: version('SIM_MIN_VERSION'),
  logger
}).start();
const api = buildControlApi(sim);
const controlUrl = await api.listen({ host, port: int('SIM_CONTROL_PORT', 7081) });
sim.pictureBaseUrl = `${controlUrl}/pictures`;

// The two lines a hub needs, plainly, for scripts and people alike.
process.stdout.write(`WA_WS_URL=${sim.url}\nWA_ROOT_PUBLIC_KEY=${sim.rootPublicKeyHex}\nWA_VERSION_URL=${sim.versionUrl}\nSIM_CONTROL_URL=${controlUrl}\n`);

const shutdown = async () => {
  await api.close();
  await sim.stop();
  process.exit(0);
};
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
