import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { tempDir } from './temp-dir.js';

/** Where Debian's package puts the server; REDIS_SERVER overrides it. */
const BINARY = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

export interface TestRedis {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** A loopback port nobody listens on right now (the kernel picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * A real redis-server as a child process on a free loopback port, in a temporary
 * folder, without persistence (no RDB snapshots, no AOF): what the cluster code
 * runs against in tests. Resolves once it accepts connections.
 */
export async function startRedis(): Promise<TestRedis> {
  if (spawnSync(BINARY, ['--version']).error) {
    throw new Error(`redis-server not found at ${BINARY}: install Debian's redis-server (apt-get install redis-server) or set REDIS_SERVER`);
  }
  // The port can be taken between the probe and the bind: try a few.
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      return await launch(port);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function launch(port: number): Promise<TestRedis> {
  const dir = tempDir('wahub-redis-');
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir.path, '--save', '', '--appendonly', 'no', '--logfile', '', '--daemonize', 'no'];
  const child = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start on ${port}: ${out}`)), 10_000);
      child.once('exit', code => (clearTimeout(timer), reject(new Error(`redis-server exited with ${code} on ${port}: ${out}`))));
      const read = (d: Buffer) => {
        out += d;
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', read);
      child.stderr!.on('data', read);
    });
  } catch (err) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    dir.cleanup();
    throw err;
  }
  child.removeAllListeners('exit');
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      dir.cleanup();
    }
  };
}
