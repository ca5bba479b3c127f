// The ladder of one call, full-screen in place of the panes: the lines of
// `ladderText` (which sanitizes), scrolled by line and, for wide ladders,
// by column.

import React from 'react';
import { Box } from 'ink';
import { sanitize } from '../output/sanitize.js';
import { Line } from './line.js';
import { fitSegs, sliceCells, tint } from './text.js';

export interface LadderViewProps {
  callId: string;
  /** The ladder's text lines; null: the call's messages were not kept. */
  lines: string[] | null;
  top: number;
  left: number;
  width: number;
  height: number;
}

/** Ladder lines a view of this height shows (below its border and title). */
export function ladderRows(height: number): number {
  return Math.max(0, height - 3);
}

export function LadderView(p: LadderViewProps): React.JSX.Element {
  const inner = Math.max(0, p.width - 2);
  const rows = ladderRows(p.height);
  const n = p.lines?.length ?? 0;
  const top = Math.max(0, Math.min(p.top, n - rows));
  const span = n > rows ? `  lines ${top + 1}-${Math.min(n, top + rows)} of ${n}` : '';
  const title = fitSegs([{ text: `Ladder  Call-ID ${sanitize(p.callId)}`, bold: true, color: 'cyan' }, { text: span, dim: true }], inner);
  const body = p.lines === null
    ? [<Line key="note" segs={fitSegs([{ text: 'The messages of this call were not kept, so there is no ladder to show (Esc closes).', color: 'yellow' }], inner)} />]
    : p.lines.slice(top, top + rows).map((l, i) => <Line key={i} segs={fitSegs([{ text: sliceCells(l, p.left, inner) }], inner)} />);
  return (
    <Box flexDirection="column" borderStyle="single" borderColor={tint('cyan')} width={p.width} height={p.height} overflow="hidden">
      {p.height > 2 && <Line segs={title} />}
      {body}
    </Box>
  );
}
