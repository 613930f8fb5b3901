/**
 * What the benchmarks share: the simulator as its own process (so the hub's
 * process measures only the hub), its control API, and CPU/RSS from /proc.
 */
import { readFileSync } from 'node:fs';
import { spawnNode, type Spawned } from '../tests/helpers/processes.js';

export interface SimProcess {
  proc: Spawned;
  url: string;
  versionUrl: string;
  rootPublicKeyHex: string;
  pid: number;
  post<T = unknown>(path: string, body: unknown): Promise<T>;
  scan(phone: string, qr: string): Promise<{ deviceId: number }>;
  stop(): Promise<void>;
}

/**
 * Starts `simulator/cli.ts` on free ports; receipts far in the future unless asked, so they do not load the run.
 * With BENCH_SIM_CPU_PROF=<dir>, the simulator writes a V8 CPU profile there when it stops (Node refuses
 * --cpu-prof in NODE_OPTIONS, and the bench's own process is profiled with `node --cpu-prof` directly).
 */
export async function spawnSimulator(env: Record<string, string> = {}): Promise<SimProcess> {
  const profile = process.env.BENCH_SIM_CPU_PROF;
  const proc = await spawnNode(
    [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []), '--import', 'tsx', 'simulator/cli.ts'],
    { SIM_PORT: '0', SIM_CONTROL_PORT: '0', LOG_LEVEL: 'warn', SIM_RECEIPT_DELAY_MS: '600000', ...env },
    'SIM_CONTROL_URL',
    60_000
  );
  const api = proc.vars.SIM_CONTROL_URL!;
  const post = async <T>(path: string, body: unknown): Promise<T> => {
    const res = await fetch(`${api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  return {
    proc,
    url: proc.vars.WA_WS_URL!,
    versionUrl: proc.vars.WA_VERSION_URL!,
    rootPublicKeyHex: proc.vars.WA_ROOT_PUBLIC_KEY!,
    pid: proc.child.pid!,
    post,
    scan: (phone, qr) => post<{ deviceId: number }>('/scan', { phone, qr }),
    stop: () => proc.stop()
  };
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Calls `gc()` when Node runs with --expose-gc (bench/run.ts always does). */
export function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
