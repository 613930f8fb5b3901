import PQueue from 'p-queue';

/** Priorities on an instance's line: a single send goes ahead of bulk items. */
export const PRIORITY = { single: 10, bulk: 0 } as const;

/**
 * One line per instance: a number sends one message at a time, whoever asked,
 * so a bulk send's pacing also spaces out the single sends around it.
 */
export class SendScheduler {
  private readonly lines = new Map<string, PQueue>();

  run<T>(instance: string, task: () => Promise<T>, priority: number): Promise<T> {
    let line = this.lines.get(instance);
    if (!line) this.lines.set(instance, (line = new PQueue({ concurrency: 1 })));
    return line.add(task, { priority }) as Promise<T>;
  }

  /** Waits until everything already on every line has run. */
  async idle(): Promise<void> {
    await Promise.all([...this.lines.values()].map(l => l.onIdle()));
  }
}
