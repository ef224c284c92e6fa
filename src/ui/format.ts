/**
 * Pure text helpers for the terminal UI: level meters, numbers with units,
 * fixed-width cells. Kept free of React so they test in plain Node.
 */

/** Partial-cell glyphs, 1/8 to 7/8 of a cell (U+258F … U+2589). */
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'] as const;
const FULL_CELL = '█';
const EMPTY_CELL = '·';

/** Clamp to 0..1; NaN and other garbage count as 0 so a bad level never breaks a row. */
export function clampUnit(level: number): number {
  if (!Number.isFinite(level) || level <= 0) return 0;
  return level >= 1 ? 1 : level;
}

/**
 * A compact bar of block characters, always exactly `cells` wide: full
 * blocks, one partial block at 1/8-cell resolution, then dots for the rest
 * (dots rather than spaces so an idle meter is still visibly a meter).
 */
export function levelBar(level: number, cells = 10): string {
  const width = Math.max(0, Math.floor(cells));
  if (width === 0) return '';
  const eighths = Math.round(clampUnit(level) * width * 8);
  const full = Math.floor(eighths / 8);
  const partial = EIGHTHS[eighths % 8] ?? '';
  const used = full + (partial === '' ? 0 : 1);
  return FULL_CELL.repeat(full) + partial + EMPTY_CELL.repeat(width - used);
}

/** `0.4 %`, `12 %`: one decimal below 10 so small losses stay visible. */
export function formatLossPercent(lossPercent: number): string {
  if (!Number.isFinite(lossPercent) || lossPercent < 0) return '–';
  return lossPercent < 10 ? `${lossPercent.toFixed(1)}%` : `${Math.round(lossPercent)}%`;
}

/** Milliseconds rounded to whole ms; null/NaN (unknown) as an en dash. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '–';
  return `${Math.round(ms)}ms`;
}

/** A count for the stats table; garbage shows as an en dash. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '–';
  return String(Math.round(n));
}

/** Volume 0..200 as `100%`, right-aligned in 4 cells. */
export function formatVolume(volumePercent: number): string {
  const v = Number.isFinite(volumePercent) ? Math.round(volumePercent) : 0;
  return `${v}%`.padStart(4);
}

/** Cut `text` to `width` columns with an ellipsis, then pad to exactly `width`. */
export function fit(text: string, width: number): string {
  const w = Math.max(0, Math.floor(width));
  const chars = Array.from(text);
  if (chars.length <= w) return text + ' '.repeat(w - chars.length);
  if (w === 0) return '';
  return chars.slice(0, w - 1).join('') + '…';
}

export const VOLUME_MIN_PERCENT = 0;
export const VOLUME_MAX_PERCENT = 200;
export const VOLUME_STEP_PERCENT = 10;

/** Step a volume by `steps` × 10 %, clamped to 0..200 %. */
export function stepVolume(volumePercent: number, steps: number): number {
  const base = Number.isFinite(volumePercent) ? volumePercent : 100;
  const next = Math.round(base + steps * VOLUME_STEP_PERCENT);
  return Math.min(VOLUME_MAX_PERCENT, Math.max(VOLUME_MIN_PERCENT, next));
}

/** A duration as a clock reads: `0:42`, `12:05`, `1:02:03`; garbage as `0:00`. */
export function formatDuration(seconds: number): string {
  const total = Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : 0;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
