/**
 * What one benchmark script hands to `bench/run.ts`: its figures, each beside
 * the baseline measured in the same run. A script prints one `BENCH_RESULT`
 * line; everything else it prints is its own diagnostics.
 */

/** A goal on the ratio wahub / baseline, or on wahub's own figure. */
export type Goal = { ratioAtMost: number } | { ratioAtLeast: number } | { atMost: number } | { atLeast: number };

export interface Figure {
  /** Stable key across runs, e.g. `queue.perMessage`. */
  id: string;
  /** What is measured, as the table says it. */
  figure: string;
  unit: string;
  wahub: number;
  /** The baseline's figure in the same run; null where the goal is absolute. */
  baseline: number | null;
  /** Null for a figure shown beside others for context, with no goal of its own. */
  goal: Goal | null;
  /** Why a goal is or is not met, what the baseline is; shown under the table. */
  note?: string;
}

export const RESULT_PREFIX = 'BENCH_RESULT ';

export function report(figures: Figure[]): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(figures)}\n`);
}

export const ratioOf = (f: Pick<Figure, 'wahub' | 'baseline'>): number | null => (f.baseline ? f.wahub / f.baseline : null);

export function goalMet(f: Pick<Figure, 'wahub' | 'baseline' | 'goal'>): boolean | null {
  const r = ratioOf(f);
  const g = f.goal;
  if (!g) return null;
  if ('ratioAtMost' in g) return r !== null && r <= g.ratioAtMost;
  if ('ratioAtLeast' in g) return r !== null && r >= g.ratioAtLeast;
  if ('atMost' in g) return f.wahub <= g.atMost;
  return f.wahub >= g.atLeast;
}

export function goalText(f: Pick<Figure, 'goal' | 'unit'>): string {
  const g = f.goal;
  if (!g) return '—';
  if ('ratioAtMost' in g) return `≤ ${g.ratioAtMost}×`;
  if ('ratioAtLeast' in g) return `≥ ${g.ratioAtLeast}×`;
  if ('atMost' in g) return `≤ ${g.atMost} ${f.unit}`;
  return `≥ ${g.atLeast} ${f.unit}`;
}

/** Milliseconds since `start` (a `performance.now()` value). */
export const since = (start: number): number => performance.now() - start;

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The q-quantile (0..1) of samples, nearest rank. */
export const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
};
