/**
 * Extends RTP's wrapping counters to plain numbers: 16-bit sequence numbers
 * and 32-bit timestamps (RFC 3550 §5.1) both wrap. Each value is placed at
 * the extended position nearest to the highest one seen so far (a signed
 * difference of less than half the range), as RFC 3550 Appendix A.1 does
 * for sequence numbers, so wraps forward and reordering across a wrap both
 * come out right. The result is a JS number (exact up to 2^53): comparisons
 * and differences just work.
 *
 * The first value is returned as is (0 .. range − 1); a value reordered to
 * just before it comes out below it, possibly negative (0 then 65535 gives
 * 0 then −1). Callers must not use −1 as "none".
 *
 * Restart detection (a jump too large to be loss) is the reception
 * tracker's job (rtp/reception.ts, A.1); this class only extends.
 */
export class Unwrapper {
  private readonly range: number;
  private readonly half: number;
  private anchored = false;
  private highestExt = 0;

  constructor(bits: 16 | 32) {
    this.range = 2 ** bits;
    this.half = this.range / 2;
  }

  /** Extended value for `value` (taken modulo the range); raises the highest seen. */
  unwrap(value: number): number {
    const v = this.wrap(value);
    if (!this.anchored) {
      this.anchored = true;
      this.highestExt = v;
      return v;
    }
    const ext = this.nearest(v);
    if (ext > this.highestExt) this.highestExt = ext;
    return ext;
  }

  /** Extended value for `value` without changing state; undefined before the first value. */
  peek(value: number): number | undefined {
    return this.anchored ? this.nearest(this.wrap(value)) : undefined;
  }

  /** Highest extended value seen, or undefined before the first value. */
  get highestExtended(): number | undefined {
    return this.anchored ? this.highestExt : undefined;
  }

  /** Forget everything: the next value anchors anew. */
  reset(): void {
    this.anchored = false;
    this.highestExt = 0;
  }

  private wrap(value: number): number {
    return ((Math.trunc(value) % this.range) + this.range) % this.range;
  }

  private nearest(v: number): number {
    const highMod = ((this.highestExt % this.range) + this.range) % this.range;
    let delta = v - highMod;
    if (delta >= this.half) delta -= this.range;
    else if (delta < -this.half) delta += this.range;
    return this.highestExt + delta;
  }
}
