// The ladder of one call, full-screen in place of the panes: the lines of
// `ladderText` (which sanitizes) with the selected message highlighted, the
// view following it as sngrep's call flow does; and the selected message as
// it was sent (RawView), each line escaped and wrapped to the width.

import React from 'react';
import { Box } from 'ink';
import { asSentLines } from '../output/packet-tree.js';
import { sanitize } from '../output/sanitize.js';
import type { FlowMessage } from '../sip/call-flow.js';
import { clockMs } from '../common/time-format.js';
import { Line } from './line.js';
import { charWidth, fitSegs, restyle, sliceCells, tint, type Seg } from './text.js';

/** Lines of ladderText above the first message (title, blank, host names). */
export const LADDER_HEAD = 3;

export interface LadderViewProps {
  callId: string;
  /** The ladder's text lines; null: the call's messages were not kept. */
  lines: string[] | null;
  /** The selected message. */
  message: number;
  left: number;
  /** Messages the search found, marked in the margin. */
  matches: readonly number[];
  width: number;
  height: number;
}

/** Lines a view of this height shows (below its border and title). */
export function ladderRows(height: number): number {
  return Math.max(0, height - 3);
}

/** The first line shown: the selected message's line at the top, below the ladder's head when it fits. */
export function ladderTop(message: number, lines: number, rows: number): number {
  return Math.max(0, Math.min(message, lines - rows));
}

function Frame(p: { width: number; height: number; title: Seg[]; children: React.ReactNode }): React.JSX.Element {
  return (
    <Box flexDirection="column" borderStyle="single" borderColor={tint('cyan')} width={p.width} height={p.height} overflow="hidden">
      {p.height > 2 && <Line segs={fitSegs(p.title, Math.max(0, p.width - 2))} />}
      {p.children}
    </Box>
  );
}

export function LadderView(p: LadderViewProps): React.JSX.Element {
  const inner = Math.max(0, p.width - 2);
  const rows = ladderRows(p.height);
  const n = p.lines?.length ?? 0;
  const messages = Math.max(0, n - LADDER_HEAD - 1);
  const message = Math.max(0, Math.min(p.message, messages - 1));
  const top = ladderTop(message, n, rows);
  const span = n > rows ? `  lines ${top + 1}-${Math.min(n, top + rows)} of ${n}` : '';
  const which = messages > 0 ? `  message ${message + 1} of ${messages}` : '';
  const title: Seg[] = [{ text: `Ladder  Call-ID ${sanitize(p.callId)}`, bold: true, color: 'cyan' }, { text: which, dim: true }, { text: span, dim: true }];
  const found = new Set(p.matches);
  const body = p.lines === null
    ? [<Line key="note" segs={fitSegs([{ text: 'The messages of this call were not kept, so there is no ladder to show (Esc closes).', color: 'yellow' }], inner)} />]
    : p.lines.slice(top, top + rows).map((l, i) => {
      const m = top + i - LADDER_HEAD;
      const segs = fitSegs([{ text: sliceCells(l, p.left, inner) }], inner);
      if (m === message && messages > 0) return <Line key={i} segs={restyle(segs, { inverse: true })} />;
      return <Line key={i} segs={found.has(m) ? restyle(segs, { color: 'yellow' }) : segs} />;
    });
  return <Frame width={p.width} height={p.height} title={title}>{body}</Frame>;
}

/** Escaped lines cut into pieces of `width` cells: nothing of the message is lost off the right edge. */
export function wrapLines(lines: string[], width: number): string[] {
  if (width <= 0) return [];
  const out: string[] = [];
  for (const l of lines) {
    let piece = '';
    let w = 0;
    for (const ch of l) {
      const cw = charWidth(ch.codePointAt(0) ?? 0);
      if (w + cw > width) {
        out.push(piece);
        piece = '';
        w = 0;
      }
      piece += ch;
      w += cw;
    }
    out.push(piece);
  }
  return out;
}

/** The lines the raw view shows for a message's text (null: not kept). */
export function rawLines(text: string | null, width: number): string[] {
  return text === null ? [] : wrapLines(asSentLines(text), Math.max(1, width - 2));
}

export interface RawViewProps {
  message: FlowMessage | null;
  index: number;
  count: number;
  /** rawLines() of the message; null when it was not kept as sent. */
  lines: string[] | null;
  top: number;
  width: number;
  height: number;
}

export function RawView(p: RawViewProps): React.JSX.Element {
  const inner = Math.max(0, p.width - 2);
  const rows = ladderRows(p.height);
  const n = p.lines?.length ?? 0;
  const top = Math.max(0, Math.min(p.top, n - rows));
  const m = p.message;
  const what = m === null ? '' : `  ${sanitize(m.label)}  ${sanitize(m.src)} > ${sanitize(m.dst)}  ${clockMs(m.time)}  frame ${m.frame}`;
  const span = n > rows ? `  lines ${top + 1}-${Math.min(n, top + rows)} of ${n}` : '';
  const title: Seg[] = [{ text: `Message ${p.index + 1} of ${p.count}`, bold: true, color: 'cyan' }, { text: what, bold: true }, { text: span, dim: true }];
  const body = p.lines === null
    ? [<Line key="note" segs={fitSegs([{ text: 'This message was not kept as sent (the call kept 256 KiB of text, or the message was cut).', color: 'yellow' }], inner)} />]
    : p.lines.slice(top, top + rows).map((l, i) => <Line key={i} segs={fitSegs([{ text: l }], inner)} />);
  return <Frame width={p.width} height={p.height} title={title}>{body}</Frame>;
}
