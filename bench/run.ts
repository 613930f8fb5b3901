/**
 * `npm run bench`: runs every benchmark beside its baseline, BENCH_RUNS times
 * (default 3), each in a fresh Node process, and writes the medians to
 * bench/results/latest.json and the table in docs/BENCHMARKS.md.
 *
 *   BENCH_RUNS=1 npm run bench
 *   BENCH_ONLY=queue,rest npm run bench     # a subset, by name
 *
 * The CPU is shared, so each script measures wahub and its baseline
 * interleaved in the same process run; the table's ratio is the median of the
 * per-run ratios, not a ratio of medians from different moments.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goalMet, goalText, median, ratioOf, RESULT_PREFIX, type Figure } from './figures.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** In the order the issue lists them; `args` keep each quick enough for BENCH_RUNS=1 to take a few minutes. */
const BENCHMARKS: { name: string; file: string; args?: string[]; timeoutMs: number }[] = [
  { name: 'queue', file: 'bench/send-queue.ts', timeoutMs: 300_000 },
  { name: 'rest', file: 'bench/rest.ts', timeoutMs: 120_000 },
  { name: 'inbound', file: 'bench/inbound.ts', timeoutMs: 300_000 },
  { name: 'fan-out', file: 'bench/fan-out.ts', timeoutMs: 300_000 },
  { name: 'groups', file: 'bench/groups.ts', args: ['256', '5'], timeoutMs: 600_000 },
  { name: 'history', file: 'bench/history.ts', timeoutMs: 300_000 },
  { name: 'fleet', file: 'bench/fleet.ts', args: ['200', '50'], timeoutMs: 900_000 },
  { name: 'webhooks', file: 'bench/webhooks.ts', timeoutMs: 120_000 },
  { name: 'postgres', file: 'bench/postgres-storage.ts', timeoutMs: 120_000 },
  { name: 'cluster', file: 'bench/cluster.ts', timeoutMs: 600_000 }
];

const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const only = process.env.BENCH_ONLY?.split(',').map(s => s.trim());
const selected = BENCHMARKS.filter(b => !only || only.includes(b.name));

interface Outcome {
  figures: Figure[];
  seconds: number;
  error?: string;
}

function runOne(b: (typeof BENCHMARKS)[number]): Promise<Outcome> {
  const start = Date.now();
  return new Promise(resolve => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', b.file, ...(b.args ?? [])], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a benchmark that overruns is ended with the simulator and hub it started.
      detached: true
    });
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    let out = '';
    let err = '';
    child.stdout.on('data', d => (out += d));
    child.stderr.on('data', d => (err += d));
    const timer = setTimeout(killGroup, b.timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      killGroup();
      const seconds = (Date.now() - start) / 1000;
      const line = out.split('\n').find(l => l.startsWith(RESULT_PREFIX));
      if (!line) {
        const why = signal ? `killed (${signal}) after ${Math.round(seconds)} s` : `exited with ${code}`;
        return resolve({ figures: [], seconds, error: `${why}: ${err.trim().split('\n').slice(-3).join(' ')}` });
      }
      resolve({ figures: JSON.parse(line.slice(RESULT_PREFIX.length)) as Figure[], seconds });
    });
  });
}

const loadBefore = loadavg();
const outcomes = new Map<string, Outcome[]>();
for (let run = 1; run <= runs; run++) {
  for (const b of selected) {
    process.stderr.write(`run ${run}/${runs}: ${b.name} … `);
    const o = await runOne(b);
    process.stderr.write(o.error ? `failed: ${o.error}\n` : `${o.seconds.toFixed(0)} s\n`);
    outcomes.set(b.name, [...(outcomes.get(b.name) ?? []), o]);
  }
}
const loadAfter = loadavg();

/** One row per figure id: medians over the runs, and the per-run values kept for the record. */
const rows: (Figure & { ratio: number | null; met: boolean | null; runs: { wahub: number; baseline: number | null }[] })[] = [];
for (const b of selected) {
  const all = (outcomes.get(b.name) ?? []).flatMap(o => o.figures);
  for (const id of [...new Set(all.map(f => f.id))]) {
    const samples = all.filter(f => f.id === id);
    const last = samples[samples.length - 1]!;
    const ratios = samples.map(ratioOf).filter((r): r is number => r !== null);
    const baselines = samples.map(s => s.baseline).filter((x): x is number => x !== null);
    const row = { ...last, wahub: median(samples.map(s => s.wahub)), baseline: baselines.length ? median(baselines) : null };
    const ratio = ratios.length ? median(ratios) : null;
    // Judged on the median ratio of the runs: each run's ratio compares two figures taken side by side.
    const judged = ratio !== null && row.baseline ? { ...row, wahub: ratio * row.baseline } : row;
    rows.push({ ...row, ratio, met: goalMet(judged), runs: samples.map(s => ({ wahub: s.wahub, baseline: s.baseline })) });
  }
}

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  kernel: release(),
  loadAverage: { before: loadBefore.map(x => +x.toFixed(2)), after: loadAfter.map(x => +x.toFixed(2)) }
};
const result = {
  date: new Date().toISOString(),
  runs,
  machine,
  benchmarks: selected.map(b => ({
    name: b.name,
    seconds: (outcomes.get(b.name) ?? []).map(o => +o.seconds.toFixed(1)),
    errors: (outcomes.get(b.name) ?? []).flatMap(o => (o.error ? [o.error] : []))
  })),
  figures: rows
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/latest.json'), `${JSON.stringify(result, null, 2)}\n`);

const fmt = (x: number | null): string => (x === null ? '—' : Math.abs(x) >= 100 ? String(Math.round(x)) : String(+x.toPrecision(3)));
const table = [
  `Measured ${result.date.slice(0, 16).replace('T', ' ')} UTC, ${runs} run(s), medians. Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; ` +
    `load average ${machine.loadAverage.before.join(' / ')} before, ${machine.loadAverage.after.join(' / ')} after.`,
  '',
  '| figure | wahub | baseline | ratio | goal | met? |',
  '| --- | --- | --- | --- | --- | --- |',
  ...rows.map(r => `| ${r.figure} (${r.unit}) | ${fmt(r.wahub)} | ${fmt(r.baseline)} | ${r.ratio === null ? '—' : `${fmt(r.ratio)}×`} | ${goalText(r)} | ${r.met === null ? '—' : r.met ? 'yes' : '**no**'} |`),
  '',
  ...rows.filter(r => r.note).map(r => `- *${r.figure}*: ${r.note}`),
  ...result.benchmarks.flatMap(b => b.errors.map(e => `- **${b.name} did not finish**: ${e}`))
].join('\n');

// Only the generated block is replaced; the prose around it is kept as written.
const docs = join(root, 'docs/BENCHMARKS.md');
const START = '<!-- bench:start (written by npm run bench) -->';
const END = '<!-- bench:end -->';
const current = existsSync(docs) ? readFileSync(docs, 'utf8') : `# Benchmarks\n\n${START}\n${END}\n`;
const [head, rest] = current.includes(START) ? current.split(START) : [`${current.trimEnd()}\n\n`, `\n${END}\n`];
const tail = rest!.includes(END) ? rest!.slice(rest!.indexOf(END) + END.length) : '\n';
writeFileSync(docs, `${head}${START}\n${table}\n${END}${tail}`);
process.stderr.write(`${table}\n`);
