// Heights for the frame: the header, the panes and the footer share the
// terminal's rows. The focused pane gets up to half of them (more when the
// others need less), a pane gets no more rows than it has lines to show,
// and a pane there is no room for shrinks to its title line (Tab brings it
// forward). `zoom` gives the focused pane every row.

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
/** A pane drawn as its title line alone. */
export const COLLAPSED = 1;
/** A pane open with its column line and one row (less when it needs less). */
const OPEN_MIN = PANE_CHROME + 2;

/** From this many columns the panes stand in two columns side by side (the left's, the right's). */
export const TWO_COLUMNS = 160;
export const STACKS: readonly (readonly PaneId[])[] = [['heartbeats', 'sip', 'cluster'], ['media', 'dscp', 'events']];

/**
 * `stack`: the panes laid out one above the other (all of them, or one
 * column's; `focus` must be in it: another column passes its first pane).
 * `need` is the rows each pane could use (chrome, column line and lines).
 * The frame uses one row less than the terminal: ink redraws the whole
 * screen, not just the changed lines, once its output fills every row.
 */
export function frameLayout(size: Size, focus: PaneId, need: Record<PaneId, number>, zoom = false, stack: readonly PaneId[] = PANES): FrameLayout {
  const width = Math.max(12, size.columns);
  const usable = Math.max(1, size.rows - 1);
  const header = usable >= 8 ? 2 : 1;
  const footer = usable - header >= 1 ? 1 : 0;
  const body = Math.max(0, usable - header - footer);
  const panes: Record<PaneId, number> = { heartbeats: 0, sip: 0, media: 0, dscp: 0, events: 0, cluster: 0 };
  if (body === 0) return { width, header, footer, body, panes };
  const wants = (p: PaneId): number => Math.max(OPEN_MIN, need[p] ?? 0);
  if (zoom || body < PANE_CHROME) {
    panes[focus] = body;
    return { width, header, footer, body, panes };
  }
  // The focused pane first, then those after it in Tab order, each on its title line while room lasts.
  const start = stack.indexOf(focus);
  const others = stack.map((_, i) => stack[(start + i) % stack.length]).slice(1);
  panes[focus] = Math.min(body, FOCUS_MIN);
  let spare = body - panes[focus];
  for (const p of others) {
    if (spare < COLLAPSED) break;
    panes[p] = COLLAPSED;
    spare -= COLLAPSED;
  }
  // The focused pane grows to half the body (or what it needs), then the others open in turn.
  const share = Math.min(wants(focus), Math.max(FOCUS_MIN, Math.floor(body / 2)));
  const grow = Math.min(spare, Math.max(0, share - panes[focus]));
  panes[focus] += grow;
  spare -= grow;
  for (const p of others) {
    const open = Math.min(wants(p), OPEN_MIN);
    if (panes[p] !== COLLAPSED || spare < open - COLLAPSED) continue;
    spare -= open - COLLAPSED;
    panes[p] = open;
  }
  const turns = [focus, ...others].filter((p) => panes[p] > COLLAPSED).flatMap((p) => (p === focus ? new Array<PaneId>(FOCUS_TURNS).fill(p) : [p]));
  while (spare > 0) {
    const before = spare;
    for (const p of turns) {
      if (spare === 0) break;
      if (panes[p] < wants(p)) {
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
