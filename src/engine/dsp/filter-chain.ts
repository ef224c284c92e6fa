/**
 * The send path's processing chain, run on each captured frame before the
 * voice gate and the encoder (docs/architecture.md §2):
 *
 *   capture ─► [echo cancellation] ─► [noise suppression] ─► [gain control] ─► gate ─► Opus
 *
 * Stages are registered by whoever can build them (the media engine builds
 * noise suppression from dsp/rnnoise.ts) and always run in SEND_ORDER,
 * whatever the order of registration. A stage that was never registered is
 * "unavailable": asking to switch it on says so instead of pretending.
 * Processing is in place and allocates nothing; each stage's time is kept.
 */
import { FilterSlot, SEND_ORDER, type FilterCost, type FilterStageName, type FrameFilter } from './frame-filter.js';

/** What the UI shows for one stage. */
export type FilterState = 'on' | 'off' | 'unavailable';

export class FilterChain {
  /** Registered stages in SEND_ORDER. */
  private slots: FilterSlot[] = [];
  private closed = false;

  /** `timed`: time each stage per frame for the cost figures (allocates; `--stats` and benchmarks only). */
  constructor(private readonly options: { timed?: boolean } = {}) {}

  /** Add a stage (replacing one of the same name, which is closed). */
  register(filter: FrameFilter, enabled: boolean): void {
    if (this.closed) {
      filter.close();
      return;
    }
    const old = this.slots.find((s) => s.filter.name === filter.name);
    old?.filter.close();
    const slots = this.slots.filter((s) => s !== old);
    slots.push(new FilterSlot(filter, enabled, this.options.timed === true));
    slots.sort((a, b) => SEND_ORDER.indexOf(a.filter.name) - SEND_ORDER.indexOf(b.filter.name));
    this.slots = slots;
  }

  has(name: FilterStageName): boolean {
    return this.slots.some((s) => s.filter.name === name);
  }

  /** Switch a registered stage; false (nothing changed) if no such stage is registered. */
  setEnabled(name: FilterStageName, enabled: boolean): boolean {
    const slot = this.slots.find((s) => s.filter.name === name);
    if (slot === undefined) return false;
    slot.setEnabled(enabled);
    return true;
  }

  state(name: FilterStageName): FilterState {
    const slot = this.slots.find((s) => s.filter.name === name);
    return slot === undefined ? 'unavailable' : slot.enabled ? 'on' : 'off';
  }

  /** Whether any stage would touch a frame (the pipeline copies the frame only then). */
  get active(): boolean {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) if (slots[i]!.enabled) return true;
    return false;
  }

  /** Delay the enabled stages add, ms. */
  get delayMs(): number {
    let ms = 0;
    for (const slot of this.slots) if (slot.enabled) ms += slot.filter.delayMs;
    return ms;
  }

  /** Run every enabled stage on `frame`, in place, in send order. */
  process(frame: Int16Array): void {
    if (this.closed) return;
    // Index loop: no iterator object per frame.
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) slots[i]!.run(frame);
  }

  costs(): FilterCost[] {
    return this.slots.map((s) => s.figures());
  }

  /** Release every stage (the engine stopped); their cost figures stay readable for the final report. */
  close(): void {
    this.closed = true;
    for (const slot of this.slots) slot.filter.close();
  }
}
