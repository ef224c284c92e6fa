/**
 * One connection's work, in order: its messages, its knock's outcome, its
 * close. A task runs at once when nothing of the connection's is running, so
 * with the in-memory directory (whose operations finish synchronously) the
 * server behaves as it always did; while an operation waits for Redis, what
 * comes next for the same connection waits behind it (docs/architecture.md
 * §5, "Several nodes": a `joined` is never overtaken by the outcome of the
 * knock that led to it, a message never by its connection's close).
 */
export class SerialQueue {
  private tail: Promise<void> | undefined;

  /** `onError` gets what a task throws or rejects with (a bug must cost one task, not the server). */
  constructor(readonly onError: (err: unknown) => void) {}

  /** Whether a task is waiting on something (tests, shutdown). */
  get busy(): boolean {
    return this.tail !== undefined;
  }

  run(task: () => void | Promise<void>): void {
    if (this.tail !== undefined) {
      this.track(this.tail.then(task));
      return;
    }
    let result: void | Promise<void>;
    try {
      result = task();
    } catch (err) {
      this.onError(err);
      return;
    }
    if (result instanceof Promise) this.track(result);
  }

  private track(work: Promise<void>): void {
    const tail: Promise<void> = work.then(
      () => this.settle(tail),
      (err: unknown) => {
        this.onError(err);
        this.settle(tail);
      },
    );
    this.tail = tail;
  }

  private settle(tail: Promise<void>): void {
    if (this.tail === tail) this.tail = undefined;
  }
}
