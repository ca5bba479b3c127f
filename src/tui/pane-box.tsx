// A bordered pane: title line, column titles, and the rows that fit,
// scrolled so the selected row stays in view.

import React, { useRef, type MutableRefObject } from 'react';
import { Box } from 'ink';
import { Line } from './line.js';
import { GUTTER, type PaneContent } from './pane.js';
import { fitSegs, restyle, tint, type Seg } from './text.js';

export interface PaneBoxProps {
  content: PaneContent;
  /** The lines to show (the content's, filtered). */
  lines: PaneContent['lines'];
  focused: boolean;
  /** Index in `lines` of the selected row; -1 for none. */
  selected: number;
  filter: string;
  width: number;
  height: number;
}

/** Rows of data a pane of this height shows (below the title and column line). */
export function bodyRows(height: number, hasColumns: boolean): number {
  const inner = height - 2;
  return Math.max(0, inner - 1 - (hasColumns && inner >= 3 ? 1 : 0));
}

/**
 * The first line shown: it moves only as far as keeps the selected row on
 * screen, and shows the heading right above a selected row when it can.
 * Running it twice on the same input gives the same answer, so keeping it
 * in a ref during render is safe.
 */
function scrollTop(ref: MutableRefObject<number>, lines: PaneContent['lines'], selected: number, body: number): number {
  let top = Math.min(ref.current, Math.max(0, lines.length - body));
  if (selected >= 0) {
    if (selected < top) top = selected;
    if (selected >= top + body) top = selected - body + 1;
    if (top === selected && selected > 0 && body >= 2 && lines[selected - 1].kind === 'heading') top = selected - 1;
  }
  ref.current = Math.max(0, top);
  return ref.current;
}

/** A pane with no room to open: its title on one line, between rules, for Tab (or its number) to bring forward. */
function CollapsedPane(p: PaneBoxProps): React.JSX.Element {
  const segs: Seg[] = [{ text: '─ ', dim: true }, { text: p.content.title, bold: p.focused }, { text: ' ' }];
  if (p.filter) segs.push({ text: `filter "${p.filter}" `, color: 'yellow' });
  segs.push({ text: '─'.repeat(Math.max(0, p.width)), dim: true });
  return <Line segs={fitSegs(segs, p.width).map((s) => (s.text.endsWith('~') ? { ...s, text: `${s.text.slice(0, -1)}─` } : s))} />;
}

export function PaneBox(p: PaneBoxProps): React.JSX.Element {
  // Before the return below: a pane that collapses and opens again keeps one hook.
  const topRef = useRef(0);
  if (p.height === 1) return <CollapsedPane {...p} />;
  const inner = Math.max(0, p.width - 2);
  const innerRows = Math.max(0, p.height - 2);
  const showColumns = p.content.columns !== null && innerRows >= 3;
  const body = bodyRows(p.height, p.content.columns !== null);
  const rowCount = p.lines.filter((l) => l.kind === 'row').length;
  const title: Seg[] = [
    { text: p.focused ? '▶ ' : '  ', color: 'cyan', bold: true },
    { text: p.content.title, bold: true, color: p.focused ? 'cyan' : undefined },
  ];
  if (p.filter) title.push({ text: `  filter "${p.filter}": ${rowCount} rows`, color: 'yellow' });
  const top = scrollTop(topRef, p.lines, p.selected, body);
  const out: React.JSX.Element[] = [];
  if (innerRows >= 1) out.push(<Line key="title" segs={fitSegs(title, inner)} />);
  if (showColumns && p.content.columns) out.push(<Line key="columns" segs={fitSegs([{ text: ' '.repeat(GUTTER) }, ...p.content.columns], inner)} />);
  if (body > 0 && p.lines.length === 0) {
    out.push(<Line key="empty" segs={fitSegs([{ text: p.filter ? '  (no rows match the filter)' : '  (none yet)', dim: true }], inner)} />);
  }
  p.lines.slice(top, top + body).forEach((l, i) => {
    if (l.kind === 'heading') {
      out.push(<Line key={l.key} segs={fitSegs(l.segs, inner)} />);
      return;
    }
    const sel = p.focused && top + i === p.selected;
    const segs = fitSegs([{ text: sel ? '> ' : '  ', bold: true }, ...l.segs], inner);
    out.push(<Line key={l.key} segs={sel ? restyle(segs, { inverse: true }) : segs} />);
  });
  return (
    <Box flexDirection="column" borderStyle="single" borderColor={tint(p.focused ? 'cyan' : 'gray')} width={p.width} height={p.height} overflow="hidden">
      {out}
    </Box>
  );
}
