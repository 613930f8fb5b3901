import envSchema from 'env-schema';
import { Type, type Static } from 'typebox';

/** The hub's configuration, from the environment, checked once at boot. */
export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'HTTP, Socket.IO and WebSocket port' }),
  HOST: Type.String({ default: '0.0.0.0', description: 'listen address' }),
  DATA_DIR: Type.String({ minLength: 1, default: './data', description: 'folder of the SQLite file' }),
  DATABASE_URL: Type.Optional(
    Type.String({ pattern: '^postgres(ql)?://', description: 'postgres://user:password@host:port/database: keep the state in PostgreSQL instead of the SQLite file in DATA_DIR' })
  ),
  PG_QUERY_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 600_000,
    default: 5000,
    description:
      'with DATABASE_URL: how long one statement (or connecting) may take before it fails and the connection is replaced; the hub waits for PostgreSQL synchronously, so this bounds how long a stalled server can hold the process'
  }),
  API_KEY: Type.Optional(Type.String({ minLength: 16, description: 'admin API key; generated on first start when unset' })),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  QR_MAX_COUNT: Type.Integer({ minimum: 1, maximum: 100, default: 6, description: 'QR codes shown before giving up (refused)' }),
  EVENT_RETENTION_HOURS: Type.Number({ minimum: 0, default: 168, description: 'stored events older than this are pruned (0: keep all)' }),
  EVENT_RETENTION_COUNT: Type.Integer({ minimum: 0, default: 100_000, description: 'stored events kept per instance (0: no limit)' }),
  RATE_LIMIT_PER_SECOND: Type.Number({ minimum: 0, default: 20, description: 'commands per second per instance, bursts up to twice that (0: off)' }),
  CLIENT_MAX_BUFFER_BYTES: Type.Integer({
    minimum: 16_384,
    default: 4 * 1024 * 1024,
    description: 'bytes that may wait to be written to one socket client; past it the client is closed as too slow'
  }),
  HTTP_HEADERS_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000, description: 'a connection that has not sent its request headers within this is answered 408 and closed' }),
  HTTP_REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 30_000, description: 'a request whose body has not fully arrived within this is answered 408 and closed' }),
  HTTP_MAX_CONNECTIONS: Type.Integer({ minimum: 1, default: 10_000, description: 'open connections (HTTP, Socket.IO, WebSocket) beyond which new ones are dropped' }),
  ALLOW_EMPTY_DATA: Type.Boolean({ default: false, description: 'start on a missing or empty database even though DATA_DIR held one before' }),
  STORE_CHECK_INTERVAL_MS: Type.Integer({ minimum: 100, default: 5000, description: 'how often the store is checked (file still there, a probe write)' }),
  SEND_ACK_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    maximum: 600_000,
    default: 20_000,
    description: "how long a bulk send waits for WhatsApp's ack of a message before it retries with the same ID"
  }),
  SEND_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 20, default: 3, description: 'sends tried per bulk recipient before a timeout or a lost connection is final' }),
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16, description: 'bearer token that opens GET /metrics only (the admin key opens it too)' })),
  WEBHOOK_URL: Type.Optional(Type.String({ pattern: '^https?://', description: 'a webhook that receives every instance\'s events' })),
  WEBHOOK_SECRET: Type.Optional(Type.String({ minLength: 16, description: "the global webhook's signing secret (generated and logged once when unset)" })),
  WEBHOOK_EVENTS: Type.Optional(Type.String({ description: 'comma-separated canonical event names the global webhook receives (all when unset)' })),
  WEBHOOK_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 100, default: 12, description: 'POSTs tried per event before it becomes a dead letter' }),
  WEBHOOK_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 300_000, default: 10_000, description: 'how long one webhook POST may take' }),
  WEBHOOK_BACKOFF_BASE_MS: Type.Integer({ minimum: 1, default: 1000, description: 'the first retry delay of a webhook; it doubles on each failure, with jitter' }),
  WEBHOOK_BACKOFF_MAX_MS: Type.Integer({ minimum: 1, default: 600_000, description: 'the longest retry delay of a webhook' }),
  WEBHOOK_ALLOW_PRIVATE: Type.Boolean({ default: false, description: 'let instance tokens point webhooks at loopback, private and link-local addresses' }),
  MEDIA_DOWNLOAD: Type.Enum(['eager', 'lazy', 'off'], {
    default: 'eager',
    description: 'received media: fetched from WhatsApp at once (eager), on the first GET /media (lazy), or never (off)'
  }),
  MEDIA_MAX_BYTES: Type.Integer({ minimum: 1, default: 64 * 1024 * 1024, description: 'largest media file sent or stored; larger sends are refused with 413' }),
  MEDIA_RETENTION_DAYS: Type.Number({ minimum: 0, default: 0, description: 'stored media older than this is deleted (0: keep all)' }),
  MEDIA_FETCH_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000, description: 'how long fetching a media URL given to message.sendMedia may take' }),
  MEDIA_FETCH_ALLOW_PRIVATE: Type.Boolean({ default: false, description: 'let message.sendMedia fetch URLs on loopback, private and link-local addresses' }),
  MEDIA_URL_TTL_SECONDS: Type.Integer({ minimum: 1, maximum: 604_800, default: 3600, description: 'lifetime of a signed media URL from media.url' }),
  WA_WS_URL: Type.Optional(Type.String({ pattern: '^wss?://', description: "WhatsApp's WebSocket URL (Baileys' default when unset)" })),
  WA_VERSION: Type.Optional(Type.String({ pattern: '^\\d+\\.\\d+\\.\\d+$', description: 'the WhatsApp Web version to announce (e.g. 2.3000.1043857760); no lookup when set' })),
  WA_VERSION_URL: Type.String({
    pattern: '^https?://',
    default: 'https://web.whatsapp.com/sw.js',
    description: 'where the current WhatsApp Web version is looked up, at boot and after WhatsApp refuses a version (405)'
  }),
  WA_VERSION_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 3000, description: 'how long the version lookup may take before the known version is used' }),
  WA_ROOT_PUBLIC_KEY: Type.Optional(
    Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: "hex root key handed to Baileys' certificate check, which Baileys 7.0.0-rc14 does not enforce" })
  ),
  REDIS_URL: Type.Optional(
    Type.String({ pattern: '^rediss?://', description: 'makes the hub one node of a cluster: instances are placed on nodes by leases in this Redis, and events reach clients on every node' })
  ),
  NODE_ID: Type.Optional(
    Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', description: "this node's name in the cluster (the host name when unset); two nodes must not share one" })
  ),
  NODE_URL: Type.Optional(Type.String({ pattern: '^https?://', description: 'where other nodes reach this one (its listen address when unset)' })),
  LEASE_TTL_MS: Type.Integer({
    minimum: 1000,
    maximum: 300_000,
    default: 15_000,
    description: "how long an instance's lease lasts unless renewed: a dead node's instances open elsewhere after about this long"
  }),
  CLUSTER_SETTLE_MS: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 3_600_000,
      description: 'how long a node that joins (or whose heartbeat lapsed) must stay live before it takes instances other live nodes hold (twice LEASE_TTL_MS when unset)'
    })
  ),
  CLUSTER_HOLD_DOWN_MS: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 3_600_000,
      description: 'how long after an instance was claimed it stays on a live holder although a settled node hashes higher (four times LEASE_TTL_MS when unset)'
    })
  )
});
export type Config = Static<typeof ConfigSchema>;

/** Reads and validates the configuration; throws with every problem named. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const data = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  return envSchema<Config>({ schema: ConfigSchema as object, data });
}
