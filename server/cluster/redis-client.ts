import { createClient, type RedisClientType } from 'redis';
import type { Logger } from 'pino';

/** A connected Redis client (commands, or a subscriber connection). */
export type Redis = RedisClientType;

/**
 * Connects to REDIS_URL. A dropped connection is retried with a capped backoff
 * forever: leases are judged by the local clock (placement-manager.ts), so a node
 * cut off from Redis steps down on time whether or not its commands come back.
 */
export async function connectRedis(url: string, log: Logger, role: string, node?: string): Promise<Redis> {
  const client = createClient({
    url,
    // CLIENT LIST names each node's connections.
    name: node ? `wahub-${role}-${node}` : `wahub-${role}`,
    socket: { reconnectStrategy: retries => Math.min(50 * 2 ** retries, 2000), connectTimeout: 5000 }
  }) as unknown as Redis;
  // Without a listener an 'error' would end the process; reconnects are the client's job.
  let reported = false;
  client.on('error', (err: Error) => {
    if (!reported) log.warn({ err, role }, 'redis connection failed; retrying');
    reported = true;
  });
  client.on('ready', () => {
    if (reported) log.info({ role }, 'redis connection back');
    reported = false;
  });
  await client.connect();
  return client;
}
