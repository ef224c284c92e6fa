/**
 * Column budget for the peer table at a given terminal width. Wide terminals
 * get the link figures inline; medium ones move them to the stats panel
 * (`s`); narrow ones keep only what is needed to talk: who, speaking, volume,
 * muted, state.
 */
export type LayoutMode = 'wide' | 'medium' | 'narrow';

export interface Layout {
  readonly mode: LayoutMode;
  readonly columns: number;
  readonly nameCells: number;
  readonly meterCells: number;
}

/** Width the wide row needs (see PeerRow). */
export const WIDE_MIN_COLUMNS = 76;
export const MEDIUM_MIN_COLUMNS = 48;

export function layoutFor(columns: number): Layout {
  const cols = Number.isFinite(columns) && columns > 0 ? Math.floor(columns) : 80;
  if (cols >= WIDE_MIN_COLUMNS) return { mode: 'wide', columns: cols, nameCells: 14 + Math.min(10, cols - WIDE_MIN_COLUMNS), meterCells: 10 };
  if (cols >= MEDIUM_MIN_COLUMNS) return { mode: 'medium', columns: cols, nameCells: Math.min(16, cols - 36), meterCells: 8 };
  return { mode: 'narrow', columns: cols, nameCells: Math.max(4, cols - 16), meterCells: 0 };
}
