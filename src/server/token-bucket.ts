/**
 * Token bucket rate limiter: holds up to `burst` tokens, refilled at
 * `ratePerSec`; each allowed event takes one. Time comes from an injected
 * clock so tests are deterministic.
 */
import type { Clock } from '../core/clock.js';

export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly clock: Clock,
    private readonly ratePerSec: number,
    private readonly burst: number,
  ) {
    if (!(ratePerSec > 0) || !(burst >= 1)) throw new RangeError(`token bucket needs ratePerSec > 0 and burst >= 1, got ${ratePerSec}/${burst}`);
    this.tokens = burst;
    this.lastMs = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsedMs = now - this.lastMs;
    if (elapsedMs > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsedMs * this.ratePerSec) / 1000);
      this.lastMs = now;
    }
  }

  /** Take one token if available. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** True when the bucket is full again (its owner can be forgotten without changing behaviour). */
  isFull(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }
}
