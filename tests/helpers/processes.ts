import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { hubDatabaseFor } from './postgres.js';

export interface Spawned {
  child: ChildProcess;
  /** KEY=value lines the process printed on stdout. */
  vars: Record<string, string>;
  stdout: () => string;
  stderr: () => string;
  /** The process's pino lines on stdout, parsed. */
  logs: () => Record<string, unknown>[];
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs a TypeScript entry point as its own Node process and waits until it has printed `waitFor`. */
export function spawnTs(entry: string, env: Record<string, string>, waitFor: string, timeoutMs = 20_000): Promise<Spawned> {
  return spawnNode(['--import', 'tsx', entry], env, waitFor, timeoutMs);
}

/** Runs Node with `args` (a compiled entry point, or a loader and a TypeScript one) and waits until it has printed `waitFor`. */
export async function spawnNode(args: string[], env: Record<string, string>, waitFor: string, timeoutMs = 20_000): Promise<Spawned> {
  const entry = args[args.length - 1]!;
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', d => (err += d));
  const vars: Record<string, string> = {};
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} did not print ${waitFor}: ${err}`)), timeoutMs);
    child.once('exit', code => reject(new Error(`${entry} exited with ${code}: ${err}`)));
    child.stdout!.on('data', d => {
      out += d;
      for (const line of out.split('\n')) {
        const m = /^([A-Z_]+)=(\S+)$/.exec(line.trim());
        if (m) vars[m[1]!] = m[2]!;
      }
      if (vars[waitFor]) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    child,
    vars,
    stdout: () => out,
    stderr: () => err,
    logs: () =>
      out
        .split('\n')
        .filter(line => line.startsWith('{'))
        .map(line => JSON.parse(line) as Record<string, unknown>),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await once(child, 'exit');
    }
  };
}

/** The JSON log lines (pino) a process has printed on stdout so far. */
export function logLines(proc: Spawned): Record<string, unknown>[] {
  return proc
    .stdout()
    .split('\n')
    .filter(line => line.startsWith('{'))
    .map(line => JSON.parse(line) as Record<string, unknown>);
}

/** The resident set size of a process, in bytes, from /proc (Linux). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!kb) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb[1]) * 1024;
}

/**
 * The hub as its own process (`server/main.ts`, or a compiled `main.js` given as `compiled`) on
 * a loopback port, pointed at the simulator; resolves once it listens.
 */
export async function spawnHub(
  dataDir: string,
  sim: { url: string; versionUrl: string; rootPublicKeyHex: string },
  adminKey: string,
  env: Record<string, string> = {},
  compiled?: string
): Promise<Spawned> {
  const databaseUrl = env.DATABASE_URL ? undefined : await hubDatabaseFor(dataDir);
  return spawnNode(
    compiled ? [compiled] : ['--import', 'tsx', 'server/main.ts'],
    {
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      API_KEY: adminKey,
      LOG_LEVEL: 'warn',
      WA_WS_URL: sim.url,
      WA_VERSION_URL: sim.versionUrl,
      WA_ROOT_PUBLIC_KEY: sim.rootPublicKeyHex,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...env
    },
    'WAHUB_URL'
  );
}

/** The simulator as its own process (`simulator/cli.ts`) on free loopback ports; resolves once both ports listen. */
export async function spawnSimulator(env: Record<string, string> = {}): Promise<Spawned & { url: string; versionUrl: string; rootPublicKeyHex: string; controlUrl: string }> {
  const proc = await spawnTs('simulator/cli.ts', { SIM_PORT: '0', SIM_CONTROL_PORT: '0', LOG_LEVEL: 'warn', ...env }, 'SIM_CONTROL_URL');
  return Object.assign(proc, { url: proc.vars.WA_WS_URL!, versionUrl: proc.vars.WA_VERSION_URL!, rootPublicKeyHex: proc.vars.WA_ROOT_PUBLIC_KEY!, controlUrl: proc.vars.SIM_CONTROL_URL! });
}

/** JSON over the simulator's control API; a refusal throws with its body. */
export function simControl(controlUrl: string) {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${controlUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
    const json = (await res.json()) as T;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  return {
    call,
    scan: (phone: string, qr: string) => call<{ deviceId: number }>('POST', '/scan', { phone, qr }),
    outbox: (phone: string) => call<{ id: string; to: string; text: string | null; repeat: boolean; timestamp: number }[]>('GET', `/accounts/${phone}/outbox`)
  };
}

/**
 * Bytes waiting unread in the receive queues of the TCP connections accepted on
 * `port` (Linux `/proc/net/tcp`): with the listening process frozen, what a peer
 * wrote to it since.
 */
export async function unreadBytesOnPort(port: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const table = await readFile('/proc/net/tcp', 'utf8');
  let unread = 0;
  for (const line of table.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const local = cols[1];
    const state = cols[3];
    const queues = cols[4];
    if (!local || !queues || state !== '01') continue; // 01: ESTABLISHED
    if (parseInt(local.split(':')[1] ?? '', 16) !== port) continue;
    unread += parseInt(queues.split(':')[1] ?? '0', 16);
  }
  return unread;
}
