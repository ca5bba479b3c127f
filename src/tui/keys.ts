// What each key does, as a pure function of the UI state, so the App only
// wires ink's input to it and carries out the effects (quit, pause, save).

import type { Key } from 'ink';
import { PANES, type PaneId } from './pane.js';

export interface LadderState {
  callId: string;
  /** The selected message (the ladder's first line follows it, sngrep-like). */
  message: number;
  /** First cell of each line (horizontal scroll). */
  left: number;
  /** The selected message shown as sent, from this line; null: the ladder is shown. */
  raw: number | null;
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
  /** The focused pane has every row of the body. */
  zoom: boolean;
}

const perPane = <T>(v: T): Record<PaneId, T> => ({ heartbeats: v, sip: v, media: v, dscp: v, events: v, cluster: v });

export const INITIAL_UI: UiState = {
  focus: 'heartbeats',
  selected: perPane<string | null>(null),
  filters: perPane(''),
  editing: false,
  help: false,
  ladder: null,
  zoom: false,
};

/** What the App knows about the screen that keys act on. */
export interface KeyContext {
  /** Keys of the selectable rows per pane, as shown (filtered). */
  rows: Record<PaneId, string[]>;
  /** Row key -> the Call-ID Enter opens and s saves (SIP calls, RTP streams of a call). */
  callIds: ReadonlyMap<string, string>;
  /** Pane rows a PgUp/PgDn moves by. */
  page: number;
  /** Messages of the open ladder (0: not known yet) and the lines a page of it shows. */
  ladderMessages: number;
  ladderPage: number;
  /** Lines of the message shown as sent, and the lines a page shows. */
  rawLines: number;
  rawPage: number;
  /** The SIP filter's finds in the kept messages: Call-ID -> indexes of its messages, in order. */
  searchHits: ReadonlyMap<string, number[]>;
}

export type KeyEffect = 'quit' | 'pause' | 'save' | null;

export interface KeyResult {
  state: UiState;
  effect: KeyEffect;
  /** The call to save (effect 'save'). */
  callId?: string;
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

/** The call of the focused pane's selected row, if it has one. */
export function selectedCall(s: UiState, ctx: KeyContext): string | undefined {
  const rows = ctx.rows[s.focus];
  return rows.length ? ctx.callIds.get(rows[selectedIndex(s.selected[s.focus], rows)]) : undefined;
}

/** The next message the search finds after `from`, round to the first. */
function nextMatch(l: LadderState, ctx: KeyContext): number | undefined {
  const matches = ctx.searchHits.get(l.callId) ?? [];
  return matches.find((m) => m > l.message) ?? matches[0];
}

function rawKey(l: LadderState, raw: number, input: string, key: Key, ctx: KeyContext): LadderState {
  if (key.escape) return { ...l, raw: null };
  const last = Math.max(0, ctx.rawLines - ctx.rawPage);
  // Left/Right: the previous or next message, from its first line.
  if (key.leftArrow || key.rightArrow) {
    const m = clamp(l.message + (key.leftArrow ? -1 : 1), 0, Math.max(0, ctx.ladderMessages - 1));
    return { ...l, message: m, raw: 0 };
  }
  if (input === 'n') {
    const m = nextMatch(l, ctx);
    return m === undefined ? l : { ...l, message: m, raw: 0 };
  }
  const step = key.upArrow ? -1 : key.downArrow ? 1 : key.pageUp ? -ctx.rawPage : key.pageDown ? ctx.rawPage : 0;
  let top = clamp(raw + step, 0, last);
  if (key.home) top = 0;
  if (key.end) top = last;
  return { ...l, raw: top };
}

function ladderKey(s: UiState, l: LadderState, input: string, key: Key, ctx: KeyContext): UiState {
  if (l.raw !== null) return { ...s, ladder: rawKey(l, l.raw, input, key, ctx) };
  if (key.escape) return { ...s, ladder: null };
  if (key.return) return { ...s, ladder: { ...l, raw: 0 } };
  if (input === 'n') {
    const m = nextMatch(l, ctx);
    return m === undefined ? s : { ...s, ladder: { ...l, message: m } };
  }
  // Messages not known yet (a key before the ladder's first render): the view clamps instead.
  const last = ctx.ladderMessages > 0 ? ctx.ladderMessages - 1 : Number.MAX_SAFE_INTEGER;
  const step = key.upArrow ? -1 : key.downArrow ? 1 : key.pageUp ? -ctx.ladderPage : key.pageDown ? ctx.ladderPage : 0;
  let message = clamp(l.message + step, 0, last);
  if (key.home) message = 0;
  if (key.end) message = last;
  const left = key.home ? 0 : Math.max(0, l.left + (key.leftArrow ? -LADDER_STEP : key.rightArrow ? LADDER_STEP : 0));
  return { ...s, ladder: { ...l, message, left } };
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
  if (input === 's') {
    const callId = s.ladder?.callId ?? selectedCall(s, ctx);
    return callId === undefined ? same(s) : { state: s, effect: 'save', callId };
  }
  if (s.ladder !== null) return same(ladderKey(s, s.ladder, input, key, ctx));
  if (key.tab) {
    const i = PANES.indexOf(s.focus) + (key.shift ? -1 : 1);
    return same({ ...s, focus: PANES[(i + PANES.length) % PANES.length] });
  }
  const n = /^[1-9]$/.test(input) ? Number(input) - 1 : -1;
  if (n >= 0 && n < PANES.length) return same({ ...s, focus: PANES[n] });
  if (input === 'z') return same({ ...s, zoom: !s.zoom });
  if (key.upArrow || key.downArrow) return same(moveSelection(s, ctx, key.upArrow ? -1 : 1));
  if (key.pageUp || key.pageDown) return same(moveSelection(s, ctx, (key.pageUp ? -1 : 1) * Math.max(1, ctx.page)));
  if (key.home || key.end) return same(moveSelection(s, ctx, key.home ? -Infinity : Infinity));
  if (key.return) {
    const callId = selectedCall(s, ctx);
    // A search in force opens the call on the first message it found.
    if (callId !== undefined) return same({ ...s, ladder: { callId, message: ctx.searchHits.get(callId)?.[0] ?? 0, left: 0, raw: null } });
  }
  if (input === '/') return same({ ...s, editing: true });
  if (key.escape && s.filters[s.focus] !== '') return same(setFilter(s, ''));
  return same(s);
}
