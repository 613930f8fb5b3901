/**
 * A token bucket per key: `ratePerSecond` on average, bursts up to twice that.
 * Commands are limited per instance, so one noisy client cannot starve the
 * instance's others or get the number banned by WhatsApp.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly now: () => number = Date.now
  ) {}

  /** Takes one token for `key`; false when the bucket is empty. A rate of 0 lets everything through. */
  take(key: string): boolean {
    if (this.ratePerSecond <= 0) return true;
    const capacity = this.ratePerSecond * 2;
    const t = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: t };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((t - bucket.at) / 1000) * this.ratePerSecond);
    bucket.at = t;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
