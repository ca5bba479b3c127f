// Heights for the frame: the header, the panes and the footer share the
// terminal's rows; the focused pane gets the larger share, and a pane gets
// no more rows than it has lines to show. When the terminal is too short
// for every pane, the focused one and those after it are shown.

import { PANES, type PaneId } from './pane.js';

export interface Size {
  columns: number;
  rows: number;
}

export const DEFAULT_SIZE: Size = { columns: 80, rows: 24 };

/** A pane's border and title line. */
export const PANE_CHROME = 3;
/** The focused pane's least: chrome, column line and one row. */
const FOCUS_MIN = PANE_CHROME + 2;

export interface FrameLayout {
  width: number;
  header: number;
  footer: number;
  /** Rows for the panes' area (panes, or the ladder/help view that replaces them). */
  body: number;
  /** Rows per pane; 0: not shown. */
  panes: Record<PaneId, number>;
}

/** Share of the spare rows: the focused pane three turns in each round, the others one. */
const FOCUS_TURNS = 3;

/**
 * `need` is the rows each pane could use (chrome, column line and lines).
 * The frame uses one row less than the terminal: ink redraws the whole
 * screen, not just the changed lines, once its output fills every row.
 */
export function frameLayout(size: Size, focus: PaneId, need: Record<PaneId, number>): FrameLayout {
  const width = Math.max(12, size.columns);
  const usable = Math.max(1, size.rows - 1);
  const header = usable >= 8 ? 2 : 1;
  const footer = usable - header >= 1 ? 1 : 0;
  const body = Math.max(0, usable - header - footer);
  const panes: Record<PaneId, number> = { heartbeats: 0, sip: 0, dscp: 0, events: 0 };
  // The focused pane shows at least its column line and a row before another pane gets a title bar.
  const shown = body >= FOCUS_MIN ? Math.min(PANES.length, 1 + Math.floor((body - FOCUS_MIN) / PANE_CHROME)) : body >= PANE_CHROME ? 1 : 0;
  if (shown === 0) return { width, header, footer, body, panes };
  // The focused pane first, then those after it in Tab order.
  const start = PANES.indexOf(focus);
  const order = PANES.map((_, i) => PANES[(start + i) % PANES.length]).slice(0, shown);
  for (const p of order) panes[p] = PANE_CHROME;
  panes[focus] = Math.min(body, FOCUS_MIN);
  let spare = body - order.reduce((n, p) => n + panes[p], 0);
  const turns = order.flatMap((p) => (p === focus ? new Array<PaneId>(FOCUS_TURNS).fill(p) : [p]));
  while (spare > 0) {
    const before = spare;
    for (const p of turns) {
      if (spare === 0) break;
      if (panes[p] < need[p]) {
        panes[p]++;
        spare--;
      }
    }
    if (spare === before) break;
  }
  // Rows no pane needs go to the focused one, so the frame keeps its height as data comes and goes.
  panes[focus] += spare;
  return { width, header, footer, body, panes };
}
