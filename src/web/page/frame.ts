/**
 * At most one render per animation frame: snapshots arrive every 100 ms (and
 * a burst after each action), but the screen only needs the newest one when
 * the browser is about to paint. In a background tab frames stop, and so
 * does rendering; nothing is lost, since the next frame draws the newest
 * snapshot.
 */
export interface FrameTimer {
  request(callback: () => void): number;
  cancel(handle: number): void;
}

export class FrameCoalescer<T> {
  private latest: T | undefined;
  private handle: number | undefined;

  constructor(
    private readonly timer: FrameTimer,
    private readonly draw: (value: T) => void,
  ) {}

  push(value: T): void {
    this.latest = value;
    if (this.handle !== undefined) return;
    this.handle = this.timer.request(() => {
      this.handle = undefined;
      const value = this.latest as T;
      this.latest = undefined;
      this.draw(value);
    });
  }

  /** Whether a draw is waiting for the next frame. */
  get pending(): boolean {
    return this.handle !== undefined;
  }

  dispose(): void {
    if (this.handle !== undefined) this.timer.cancel(this.handle);
    this.handle = undefined;
    this.latest = undefined;
  }
}
