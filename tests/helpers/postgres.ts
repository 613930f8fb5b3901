import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

/** Debian's layout (the `postgresql` package that .ci/run installs); PG_BIN overrides it. */
const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
/** PostgreSQL refuses to run as root; as root the server runs as this system user. */
const PG_USER = 'postgres';

interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}
type PgModule = { Client: new (config: { connectionString: string }) => PgClient };
const pg = createRequire(import.meta.url)('pg') as PgModule;

/** A PostgreSQL server of its own, in a temp folder, on a free loopback port. */
export interface TestPostgres {
  /** The server's own `postgres` database, for administration. */
  adminUrl: string;
  /** Creates an empty database and answers its URL. */
  createDatabase(): Promise<string>;
  /** The server process (for SIGKILL/SIGSTOP tests). */
  readonly child: ChildProcess;
  /** SIGKILLs the server (the data folder stays) and waits until it has exited. */
  kill(): Promise<void>;
  /** Starts the server again on the same folder and port, after `kill()`. */
  restart(): Promise<void>;
  /** Stops the server (fast shutdown) and removes its folder. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, 'close');
  return port;
}

function idOf(kind: 'u' | 'g'): number {
  const out = spawnSync('id', [`-${kind}`, PG_USER], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`running as root, and there is no ${PG_USER} user to run PostgreSQL as`);
  return Number(out.stdout.trim());
}

/**
 * Runs a PostgreSQL binary through setpriv, which execs it (the pid is the
 * server's own): as the postgres user when we are root, and with SIGQUIT
 * (immediate shutdown) as its parent-death signal, so a test process that dies
 * without its teardown takes its server with it.
 */
function command(bin: string, args: string[]): [string, string[]] {
  const path = join(BIN, bin);
  const user = process.getuid?.() === 0 ? [`--reuid=${idOf('u')}`, `--regid=${idOf('g')}`, '--init-groups'] : [];
  return ['setpriv', [...user, '--pdeathsig', 'SIGQUIT', '--', path, ...args]];
}

async function waitReady(url: string, child: ChildProcess, logs: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}: ${logs()}`);
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections: ${(err as Error).message}\n${logs()}`);
      await new Promise(r => setTimeout(r, 50));
    }
  }
}

let databases = 0;
let shared: Promise<TestPostgres> | undefined;

/** One server for the whole test file, started on first use; `stopSharedPostgres` (tests/setup) ends it after the file. */
export function sharedPostgres(): Promise<TestPostgres> {
  return (shared ??= startPostgres());
}

export async function stopSharedPostgres(): Promise<void> {
  const server = shared;
  shared = undefined;
  if (server) await (await server).stop();
}

/** Initialises and starts a throwaway server; fsync is off, as nothing here must survive a power loss. */
export async function startPostgres(): Promise<TestPostgres> {
  if (!existsSync(join(BIN, 'initdb')) || !existsSync(join(BIN, 'postgres'))) {
    throw new Error(`PostgreSQL binaries not found in ${BIN}: install Debian's postgresql package (or set PG_BIN)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'wahub-pg-'));
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) chownSync(dir, idOf('u'), idOf('g'));
  const [initCmd, initArgs] = command('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  }
  const port = await freePort();
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let log = '';
  const launch = async (): Promise<ChildProcess> => {
    const [cmd, args] = command('postgres', [
      '-D', data,
      '-p', String(port),
      '-k', dir,
      '-c', 'listen_addresses=127.0.0.1',
      // fsync off: a commit reaches the OS, not the disk, which survives the server's own crash (SIGKILL
      // tests) and loses only to a power cut. synchronous_commit stays on: off, a SIGKILL loses commits.
      '-c', 'fsync=off',
      '-c', 'full_page_writes=off',
      '-c', 'max_connections=200'
    ]);
    const started = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    started.stdout!.on('data', d => (log += d));
    started.stderr!.on('data', d => (log += d));
    await waitReady(adminUrl, started, () => log, 30_000);
    return started;
  };
  let child: ChildProcess | undefined;
  // A test file that ends without its teardown must not leave a server behind (the folder goes too).
  const killOnExit = () => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  try {
    child = await launch();
  } catch (err) {
    killOnExit();
    process.removeListener('exit', killOnExit);
    throw err;
  }
  const running = (c: ChildProcess | undefined): c is ChildProcess => !!c && c.exitCode === null && c.signalCode === null;
  return {
    adminUrl,
    get child() {
      return child!;
    },
    async createDatabase() {
      const name = `wahub_${process.pid}_${++databases}`;
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async kill() {
      if (!running(child)) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
    async restart() {
      if (running(child)) throw new Error('the server is still running');
      // A killed postmaster's backends notice and exit on their own; until they have, a new one refuses the data folder.
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          child = await launch();
          return;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise(r => setTimeout(r, 200));
        }
      }
    },
    async stop() {
      process.removeListener('exit', killOnExit);
      if (running(child)) {
        // A stopped server (SIGSTOP tests) would never act on SIGINT.
        const exited = once(child, 'exit');
        child.kill('SIGCONT');
        child.kill('SIGINT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
