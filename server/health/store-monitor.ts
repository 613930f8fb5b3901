import type { Logger } from 'pino';
import { storeProblemOf, type StoreHealth, type StoreProblem } from '../../storage/index.js';

export interface StoreListener {
  /** The store stopped taking writes: stop acknowledging anything WhatsApp sends. */
  down(problem: StoreProblem): void;
  /** It takes writes again. */
  up(): void;
}

/**
 * Whether the store can be trusted with a write. A failed write anywhere reports here,
 * and a timer checks the file and a probe write, so a store that went away while idle
 * is noticed too, and one that comes back (space freed) is picked up again. A removed,
 * replaced or corrupt file stays down until a restart.
 */
export class StoreMonitor {
  private problem?: StoreProblem;
  private readonly listeners = new Set<StoreListener>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly health: StoreHealth,
    private readonly logger: Logger,
    private readonly intervalMs: number
  ) {}

  get current(): StoreProblem | undefined {
    return this.problem;
  }

  listen(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.timer ??= setInterval(() => this.check(), this.intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Checks now; returns the problem, if any. */
  check(): StoreProblem | undefined {
    if (this.problem?.lasting) return this.problem;
    const found = this.health.check();
    if (found) this.fail(found);
    else if (this.problem) this.recover();
    return this.problem;
  }

  /** A write failed; true when the error means the store is down (the caller must not acknowledge). */
  reportWriteError(err: unknown): boolean {
    const problem = storeProblemOf(err);
    if (problem) this.fail(problem, err);
    return !!problem;
  }

  private fail(problem: StoreProblem, err?: unknown): void {
    if (this.problem && (this.problem.lasting || !problem.lasting)) return;
    this.problem = problem;
    this.logger.error({ err, code: problem.code, reason: problem.reason }, `the store cannot be written (${problem.reason}); WhatsApp is no longer acknowledged`);
    for (const l of this.listeners) l.down(problem);
  }

  private recover(): void {
    const was = this.problem;
    this.problem = undefined;
    this.logger.info({ was: was?.code }, 'the store takes writes again; reconnecting');
    for (const l of this.listeners) l.up();
  }
}
