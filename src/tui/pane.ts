// What a pane shows, as data: each pane module turns the snapshot into a
// PaneContent, and PaneBox draws it. Keeping the rows as data lets the App
// filter them, count them for the layout and find the selected call.

import { cut, cutMiddle, fit, textWidth, type Seg } from './text.js';

export type PaneId = 'heartbeats' | 'sip' | 'media' | 'dscp' | 'events' | 'cluster';
export const PANES: readonly PaneId[] = ['heartbeats', 'sip', 'media', 'dscp', 'events', 'cluster'];
export const PANE_NAMES: Readonly<Record<PaneId, string>> = { heartbeats: 'Heartbeats', sip: 'SIP', media: 'Media', dscp: 'DSCP', events: 'Events', cluster: 'Cluster' };

/** Cells left of every row for the selection marker. */
export const GUTTER = 2;

export interface PaneLine {
  /** Unique within the pane, stable across snapshots: selection follows it. */
  key: string;
  /** Rows can be selected and filtered; headings are kept while a row under them is. */
  kind: 'row' | 'heading';
  segs: Seg[];
  /** Rows: the plain text the filter searches. */
  search: string;
  /** Rows: the heading group they belong to; headings: the group they head (kept while a row of it is). */
  group: string | null;
  /** SIP call rows: the call Enter opens. */
  callId: string | null;
}

export interface PaneContent {
  /** The title line, with counts. */
  title: string;
  /** Column titles above the rows; null for none. */
  columns: Seg[] | null;
  lines: PaneLine[];
}

export interface Column {
  title: string;
  /** Cells it gets even when the pane is narrow. */
  min: number;
  /** Cells its widest value wants (defaults to min). */
  want?: number;
  /** Cells it may grow to from space left over (defaults to want). */
  max?: number;
  align?: 'left' | 'right';
  /**
   * Addresses and flows: the column gets its widest value whole (a flow cut
   * after its '>' loses the far end); should even that not fit, the middle
   * goes, so both ends still show.
   */
  whole?: boolean;
  /** Left out when the pane is too narrow for every column: 1 first, then 2, ... Never left out when absent. */
  drop?: number;
}

/** The columns a pane of some width shows, and their widths. */
export interface ColumnFit {
  cols: Column[];
  widths: number[];
  /** The cells of the columns shown, from a row's cells for every column. */
  pick<T>(cells: T[]): T[];
}

function needed(cols: Column[]): number {
  return cols.reduce((n, c) => n + (c.whole ? Math.max(c.min, c.want ?? c.min) : c.min), 0) + cols.length - 1;
}

/**
 * The columns that fit `total` cells: droppable ones are left out, lowest
 * `drop` first, until the others fit at their least (whole columns at their
 * widest value); then widths as columnWidths gives them.
 */
export function fitColumns(all: Column[], total: number): ColumnFit {
  let keep = all.map((_, i) => i);
  const order = all.map((c, i) => [c.drop ?? 0, i] as const).filter(([d]) => d > 0).sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  for (const [, i] of order) {
    if (needed(keep.map((k) => all[k])) <= total) break;
    keep = keep.filter((k) => k !== i);
  }
  const cols = keep.map((k) => all[k]);
  const room = total - needed(cols);
  // Whole columns take their widest value when there is room; else they share what is left.
  const sized = cols.map((c) => (c.whole && room >= 0 ? { ...c, min: Math.max(c.min, c.want ?? c.min) } : c));
  return { cols: sized, widths: columnWidths(sized, total), pick: (cells) => keep.map((k) => cells[k]) };
}

/**
 * Column widths for `total` cells (one space between columns): every column
 * its minimum, then a cell at a time in turn up to what its values want,
 * then what is left spread over the columns allowed to grow. Too narrow a
 * pane keeps the minimums and the row is cut at its end.
 */
export function columnWidths(cols: Column[], total: number): number[] {
  const widths = cols.map((c) => c.min);
  let left = total - (cols.length - 1) - widths.reduce((a, b) => a + b, 0);
  const want = cols.map((c) => Math.max(c.min, c.want ?? c.min));
  const max = cols.map((c, i) => Math.max(want[i], c.max ?? want[i]));
  for (const limit of [want, max]) {
    // Round-robin, so one long value does not take the room every other column wants.
    let growing = cols.map((_, i) => i).filter((i) => widths[i] < limit[i]);
    while (left > 0 && growing.length > 0) {
      for (const i of growing) {
        if (left === 0) break;
        widths[i]++;
        left--;
      }
      growing = growing.filter((i) => widths[i] < limit[i]);
    }
  }
  return widths;
}

/** The widest of the values (for Column.want), never less than the title. */
export function widest(title: string, values: string[]): number {
  return values.reduce((w, v) => Math.max(w, textWidth(v)), textWidth(title));
}

/** A cell: text, or text with a style. */
export type Cell = string | Seg;

/** One row's segments: each cell fitted to its column, styled cells keep their style. */
export function rowSegs(cols: Column[], widths: number[], cells: Cell[]): Seg[] {
  const out: Seg[] = [];
  cells.forEach((c, i) => {
    const seg: Seg = typeof c === 'string' ? { text: c } : c;
    const body = cols[i].whole ? cutMiddle(seg.text, widths[i]) : cut(seg.text, widths[i]);
    // The padding stays unstyled, so a coloured word does not become a coloured bar.
    const pad = { text: ' '.repeat(Math.max(0, widths[i] - textWidth(body))) };
    if (i > 0) out.push({ text: ' ' });
    if (cols[i].align === 'right') out.push(pad);
    out.push({ ...seg, text: body });
    if (cols[i].align !== 'right') out.push(pad);
  });
  return out;
}

/** The column titles as a dim line. */
export function headerSegs(cols: Column[], widths: number[]): Seg[] {
  return [{ text: cols.map((c, i) => fit(c.title, widths[i], c.align)).join(' '), dim: true }];
}

export function row(key: string, segs: Seg[], search: string, group: string | null = null, callId: string | null = null): PaneLine {
  return { key, kind: 'row', segs, search, group, callId };
}

export function heading(key: string, segs: Seg[], group: string = key): PaneLine {
  return { key, kind: 'heading', segs, search: '', group, callId: null };
}

/** Keys made unique by a counter, for rows that can repeat (two events alike to the millisecond). */
export function uniqueKeys(): (key: string) => string {
  const seen = new Map<string, number>();
  return (key) => {
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return n === 0 ? key : `${key}#${n}`;
  };
}
