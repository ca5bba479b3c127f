// What each key does, as a pure function of the UI state, so the App only
// wires ink's input to it and carries out the two effects (quit, pause).

import type { Key } from 'ink';
import { PANES, type PaneId } from './pane.js';

export interface LadderState {
  callId: string;
  /** First line shown, and first cell of each line (horizontal scroll). */
  top: number;
  left: number;
}

export interface UiState {
  focus: PaneId;
  /** Key of the selected row per pane; null: the first row. */
  selected: Record<PaneId, string | null>;
  /** Filter text per pane. */
  filters: Record<PaneId, string>;
  /** The filter line is taking typed text. */
  editing: boolean;
  help: boolean;
  ladder: LadderState | null;
}

export const INITIAL_UI: UiState = {
  focus: 'heartbeats',
  selected: { heartbeats: null, sip: null, dscp: null, events: null },
  filters: { heartbeats: '', sip: '', dscp: '', events: '' },
  editing: false,
  help: false,
  ladder: null,
};

/** What the App knows about the screen that keys act on. */
export interface KeyContext {
  /** Keys of the selectable rows per pane, as shown (filtered). */
  rows: Record<PaneId, string[]>;
  /** SIP row key -> the Call-ID Enter opens (call rows only). */
  callIds: ReadonlyMap<string, string>;
  /** Pane rows a PgUp/PgDn moves by, and lines of the open ladder and rows that show them. */
  page: number;
  ladderLines: number;
  ladderPage: number;
}

export type KeyEffect = 'quit' | 'pause' | null;

export interface KeyResult {
  state: UiState;
  effect: KeyEffect;
}

/** Columns Left/Right scroll the ladder by. */
const LADDER_STEP = 10;

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}

/** The selected row's index in `rows` (0 when the selected row is gone). */
export function selectedIndex(selected: string | null, rows: string[]): number {
  const i = selected === null ? 0 : rows.indexOf(selected);
  return i < 0 ? 0 : i;
}

function moveSelection(s: UiState, ctx: KeyContext, by: number): UiState {
  const rows = ctx.rows[s.focus];
  if (rows.length === 0) return s;
  const i = clamp(selectedIndex(s.selected[s.focus], rows) + by, 0, rows.length - 1);
  return { ...s, selected: { ...s.selected, [s.focus]: rows[i] } };
}

function setFilter(s: UiState, text: string): UiState {
  // The selection starts over at the first row the new filter keeps.
  return { ...s, filters: { ...s.filters, [s.focus]: text }, selected: { ...s.selected, [s.focus]: null } };
}

function ladderKey(s: UiState, l: LadderState, key: Key, ctx: KeyContext): UiState {
  if (key.escape) return { ...s, ladder: null };
  // Lines not known yet (a key before the ladder's first render): the view clamps instead.
  const last = ctx.ladderLines > 0 ? Math.max(0, ctx.ladderLines - ctx.ladderPage) : Number.MAX_SAFE_INTEGER;
  const step = key.upArrow ? -1 : key.downArrow ? 1 : key.pageUp ? -ctx.ladderPage : key.pageDown ? ctx.ladderPage : 0;
  let top = clamp(l.top + step, 0, last);
  if (key.home) top = 0;
  if (key.end) top = last;
  const left = key.home ? 0 : Math.max(0, l.left + (key.leftArrow ? -LADDER_STEP : key.rightArrow ? LADDER_STEP : 0));
  return { ...s, ladder: { ...l, top, left } };
}

function editKey(s: UiState, input: string, key: Key): UiState {
  if (key.escape) return { ...setFilter(s, ''), editing: false };
  if (key.return) return { ...s, editing: false };
  // Ink reports the usual Backspace (DEL) as `delete`.
  if (key.backspace || key.delete) return setFilter(s, s.filters[s.focus].slice(0, -1));
  if (input && !key.ctrl && !key.meta && !key.tab && !key.upArrow && !key.downArrow) return setFilter(s, s.filters[s.focus] + input);
  return s;
}

export function onKey(s: UiState, input: string, key: Key, ctx: KeyContext): KeyResult {
  const same = (state: UiState): KeyResult => ({ state, effect: null });
  if (key.ctrl && input === 'c') return { state: s, effect: 'quit' };
  if (s.editing) {
    if (key.upArrow || key.downArrow) return same(moveSelection(s, ctx, key.upArrow ? -1 : 1));
    return same(editKey(s, input, key));
  }
  if (input === 'q') return { state: s, effect: 'quit' };
  if (input === 'p') return { state: s, effect: 'pause' };
  if (input === '?') return same({ ...s, help: !s.help });
  if (s.help) return same(key.escape ? { ...s, help: false } : s);
  if (s.ladder !== null) return same(ladderKey(s, s.ladder, key, ctx));
  if (key.tab) {
    const i = PANES.indexOf(s.focus) + (key.shift ? -1 : 1);
    return same({ ...s, focus: PANES[(i + PANES.length) % PANES.length] });
  }
  if (key.upArrow || key.downArrow) return same(moveSelection(s, ctx, key.upArrow ? -1 : 1));
  if (key.pageUp || key.pageDown) return same(moveSelection(s, ctx, (key.pageUp ? -1 : 1) * Math.max(1, ctx.page)));
  if (key.home || key.end) return same(moveSelection(s, ctx, key.home ? -Infinity : Infinity));
  if (key.return && s.focus === 'sip') {
    const callId = ctx.callIds.get(ctx.rows.sip[selectedIndex(s.selected.sip, ctx.rows.sip)]);
    if (callId !== undefined) return same({ ...s, ladder: { callId, top: 0, left: 0 } });
  }
  if (input === '/') return same({ ...s, editing: true });
  if (key.escape && s.filters[s.focus] !== '') return same(setFilter(s, ''));
  return same(s);
}
