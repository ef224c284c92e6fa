/**
 * Extends wrapping RTP counters to monotonic numbers.
 *
 * RTP sequence numbers are 16 bits and timestamps 32 bits (RFC 3550 §5.1);
 * both wrap. Each new value is placed at the extended value nearest to the
 * highest one seen so far (a signed difference of less than half the range),
 * as RFC 3550 Appendix A.1 does for sequence numbers. The result is a plain JS
 * number (exact up to 2^53), so comparisons and differences just work.
 *
 * Kept local to the receive path; src/engine/rtp may grow its own version.
 */
export class Unwrapper {
  private readonly range: number;
  private readonly half: number;
  private highest: number | undefined;

  constructor(bits: 16 | 32) {
    this.range = 2 ** bits;
    this.half = this.range / 2;
  }

  /** Extended value for `value` (taken modulo the range); updates the highest seen. */
  unwrap(value: number): number {
    const v = ((Math.trunc(value) % this.range) + this.range) % this.range;
    if (this.highest === undefined) {
      // Start in the middle of a large positive space so that early
      // reordering (values "before" the first one) stays non-negative.
      this.highest = this.range * 1024 + v;
      return this.highest;
    }
    const highMod = this.highest % this.range;
    let delta = v - highMod;
    if (delta >= this.half) delta -= this.range;
    else if (delta < -this.half) delta += this.range;
    const ext = this.highest + delta;
    if (ext > this.highest) this.highest = ext;
    return ext;
  }

  /** Extended value for `value` without changing state (for look-ups). */
  peek(value: number): number | undefined {
    if (this.highest === undefined) return undefined;
    const v = ((Math.trunc(value) % this.range) + this.range) % this.range;
    const highMod = this.highest % this.range;
    let delta = v - highMod;
    if (delta >= this.half) delta -= this.range;
    else if (delta < -this.half) delta += this.range;
    return this.highest + delta;
  }

  get highestExtended(): number | undefined {
    return this.highest;
  }

  reset(): void {
    this.highest = undefined;
  }
}
