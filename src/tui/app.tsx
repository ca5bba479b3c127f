// The live monitor's terminal UI: header, six panes (heartbeats, SIP,
// media, DSCP, events, cluster), a footer, and the ladder / message / help views that
// replace the panes. It draws whatever the source last published and
// re-renders when the source says there is something newer; it keeps no
// timer of its own.

import React, { useCallback, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { Box, useInput, type Key } from 'ink';
import type { LiveSnapshot } from '../live/view-model.js';
import { ladderText } from '../output/sip-text.js';
import { sanitize } from '../output/sanitize.js';
import { clusterPane } from './cluster-pane.js';
import { dscpPane } from './dscp-pane.js';
import { eventsPane } from './events-pane.js';
import { filterLines, literalPattern } from './filter.js';
import { Footer } from './footer.js';
import { Header } from './header.js';
import { heartbeatPane } from './heartbeat-pane.js';
import { Help } from './help.js';
import { INITIAL_UI, onKey, selectedIndex, type KeyContext, type UiState } from './keys.js';
import { LadderView, RawView, ladderRows, rawLines } from './ladder-view.js';
import { PANE_CHROME, STACKS, TWO_COLUMNS, frameLayout, type Size } from './layout.js';
import { mediaPane } from './media-pane.js';
import { GUTTER, PANES, type PaneContent, type PaneId, type PaneLine } from './pane.js';
import { PaneBox, bodyRows } from './pane-box.js';
import { sipPane } from './sip-pane.js';
import type { SnapshotSource } from './snapshot-source.js';
import { useTerminalSize } from './use-terminal-size.js';

export interface AppProps {
  source: SnapshotSource;
  onQuit: () => void;
  /** Terminal size to lay out for, instead of stdout's (tests, a fixed-size window). */
  size?: Size;
}

type PerPane<T> = Record<PaneId, T>;

function perPane<T>(f: (p: PaneId) => T): PerPane<T> {
  return { heartbeats: f('heartbeats'), sip: f('sip'), media: f('media'), dscp: f('dscp'), events: f('events'), cluster: f('cluster') };
}

const BUILDERS: PerPane<(s: LiveSnapshot, width: number) => PaneContent> = {
  heartbeats: heartbeatPane, sip: sipPane, media: mediaPane, dscp: dscpPane, events: eventsPane, cluster: clusterPane,
};

const NO_HITS: ReadonlyMap<string, number[]> = new Map();

export function App({ source, onQuit, size }: AppProps): React.JSX.Element {
  const subscribe = useCallback((listener: () => void) => source.subscribe(listener), [source]);
  const current = useCallback(() => source.current(), [source]);
  const live = useSyncExternalStore(subscribe, current);
  // While paused, the snapshot taken at the pause is drawn; the source goes on publishing.
  const [frozen, setFrozen] = useState<LiveSnapshot | null>(null);
  const snap = frozen ?? live;
  const term = useTerminalSize(size);
  const [ui, setUi] = useState<UiState>(INITIAL_UI);
  const uiRef = useRef(ui);
  // What the last save said (or that it is under way).
  const [status, setStatus] = useState<string | null>(null);

  const width = Math.max(12, term.columns);
  // Wide terminals: two columns of panes side by side; zoomed, the focused pane alone across.
  const stacks = width >= TWO_COLUMNS && !ui.zoom ? STACKS : [PANES];
  const leftWidth = stacks.length === 2 ? Math.floor(width / 2) : width;
  const paneWidth = (p: PaneId): number => (stacks.length === 2 ? (stacks[0].includes(p) ? leftWidth : width - leftWidth) : width);
  // Rows lie inside a border and after the selection gutter.
  const rowWidth = (p: PaneId): number => Math.max(1, paneWidth(p) - 2 - GUTTER);
  const widthKey = PANES.map(rowWidth).join(',');
  const contents = useMemo(() => perPane((p) => BUILDERS[p](snap, rowWidth(p))), [snap, widthKey]);
  // The SIP filter also searches the calls' messages as sent (every header, the body).
  const sipFilter = ui.filters.sip;
  const searchHits = useMemo(
    () => (sipFilter === '' || !source.searchMessages ? NO_HITS : source.searchMessages(literalPattern(sipFilter))),
    [source, sipFilter, snap],
  );
  const shown = useMemo(() => perPane((p) => filterLines(contents[p].lines, ui.filters[p],
    p === 'sip' ? (l) => l.callId !== null && searchHits.has(l.callId) : undefined)), [contents, ui.filters, searchHits]);
  const rowKeys = perPane((p) => shown[p].filter((l) => l.kind === 'row').map((l) => l.key));
  const need = perPane((p) => PANE_CHROME + (contents[p].columns ? 1 : 0) + Math.max(1, shown[p].length));
  const stackLayouts = stacks.map((st) => frameLayout({ columns: width, rows: term.rows }, st.includes(ui.focus) ? ui.focus : st[0], need, ui.zoom, st));
  const layout = { ...stackLayouts[0], panes: perPane((p) => stackLayouts.reduce((n, l) => n + l.panes[p], 0)) };

  const selectedLine = (p: PaneId): PaneLine | undefined => {
    const key = rowKeys[p][selectedIndex(ui.selected[p], rowKeys[p])];
    return shown[p].find((l) => l.key === key);
  };
  const ladder = ui.ladder;
  const ladderId = ladder?.callId ?? null;
  // Asked again with each snapshot, so the ladder of a call in progress grows while it is open.
  const flow = useMemo(() => (ladderId === null ? null : source.ladder(ladderId)), [source, ladderId, snap]);
  const ladderLines = useMemo(() => (flow === null ? null : ladderText(flow).replace(/\n$/, '').split('\n')), [flow]);
  const messageCount = flow?.messages.length ?? 0;
  const shownMessage = ladder === null ? 0 : Math.max(0, Math.min(ladder.message, messageCount - 1));
  const raw = useMemo(() => {
    if (ladder === null || ladder.raw === null || flow === null) return null;
    const text = source.rawMessage?.(ladder.callId, shownMessage) ?? null;
    return text === null ? null : rawLines(text, width);
  }, [source, ladder, flow, shownMessage, width]);

  const callIds = new Map<string, string>();
  for (const p of ['sip', 'media'] as const) for (const l of shown[p]) if (l.callId !== null) callIds.set(l.key, l.callId);
  const ctx: KeyContext = {
    rows: rowKeys,
    callIds,
    page: bodyRows(layout.panes[ui.focus], true),
    ladderMessages: messageCount,
    ladderPage: Math.max(1, ladderRows(layout.body)),
    rawLines: raw?.length ?? 0,
    rawPage: Math.max(1, ladderRows(layout.body)),
    searchHits,
  };
  // The key handler reads everything through refs: ink may deliver a key
  // before the handler of the latest render is subscribed, and two keys in
  // one tick must not both start from the same state.
  const latest = useRef({ ctx, live, onQuit, source });
  latest.current = { ctx, live, onQuit, source };
  const handleOne = useCallback((input: string, key: Key) => {
    const now = latest.current;
    const r = onKey(uiRef.current, input, key, now.ctx);
    uiRef.current = r.state;
    setUi(r.state);
    if (r.effect === 'quit') now.onQuit();
    if (r.effect === 'pause') setFrozen((f) => (f === null ? now.live : null));
    if (r.effect === 'save' && r.callId !== undefined) {
      const save = now.source.saveCall;
      const id = sanitize(r.callId);
      if (!save) setStatus(`saving a call needs a capture file (ucprobe tui FILE); live, capture with -w FILE and run sip save on it`);
      else {
        setStatus(`saving call ${id} ...`);
        const callId = r.callId;
        // Through a promise, so a source that throws at once is said as one that fails later.
        Promise.resolve().then(() => save(callId)).then(setStatus, (e: unknown) => setStatus(`call ${id} not saved: ${sanitize(e instanceof Error ? e.message : String(e))}`));
      }
    } else if (r.effect !== 'save' && (input || key.escape || key.return)) setStatus(null);
  }, []);
  // Keys typed faster than they are read arrive as one chunk ("2/abc\r"): each is handled as if alone.
  const handleKey = useCallback((input: string, key: Key) => {
    if (input.length <= 1 || key.ctrl || key.meta || uiRef.current.editing && !input.includes('\r')) {
      handleOne(input, key);
      return;
    }
    for (const ch of input) handleOne(ch === '\r' ? '' : ch, { ...key, return: ch === '\r' });
  }, [handleOne]);
  useInput(handleKey);

  let body: React.JSX.Element | React.JSX.Element[] | null = null;
  if (layout.body > 0 && ui.help) body = <Help width={width} height={layout.body} />;
  else if (layout.body > 0 && ladder !== null && ladder.raw !== null) {
    body = <RawView message={flow?.messages[shownMessage] ?? null} index={shownMessage} count={messageCount} lines={flow === null ? null : raw}
      top={ladder.raw} width={width} height={layout.body} />;
  } else if (layout.body > 0 && ladder !== null) {
    body = <LadderView callId={ladder.callId} lines={ladderLines} message={ladder.message} left={ladder.left}
      matches={searchHits.get(ladder.callId) ?? []} width={width} height={layout.body} />;
  } else {
    const paneBoxes = (st: readonly PaneId[]): React.JSX.Element[] => st.filter((p) => layout.panes[p] > 0).map((p) => {
      const sel = selectedLine(p);
      return (
        <PaneBox key={p} content={contents[p]} lines={shown[p]} focused={p === ui.focus} selected={sel ? shown[p].indexOf(sel) : -1}
          filter={ui.filters[p]} width={paneWidth(p)} height={layout.panes[p]} />
      );
    });
    body = stacks.length === 1 ? paneBoxes(stacks[0]) : (
      <Box flexDirection="row" width={width} height={layout.body}>
        {stacks.map((st, i) => <Box key={i} flexDirection="column" width={i === 0 ? leftWidth : width - leftWidth}>{paneBoxes(st)}</Box>)}
      </Box>
    );
  }
  return (
    <Box flexDirection="column" width={width}>
      <Header snapshot={snap} paused={frozen !== null} width={width} lines={layout.header} />
      {body}
      {layout.footer > 0 && <Footer ui={ui} status={status} hits={searchHits.size} width={width} />}
    </Box>
  );
}
