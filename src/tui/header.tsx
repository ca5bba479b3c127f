// The top of the frame: where the packets come from, the counters, and the
// PAUSED / ENDED markers (first, so a narrow terminal does not cut them).

import React from 'react';
import { Box } from 'ink';
import type { LiveSnapshot, SourceInfo } from '../live/view-model.js';
import { sanitize } from '../output/sanitize.js';
import { countOrNa, elapsed, rate } from './format.js';
import { Line } from './line.js';
import { fitSegs, type Seg } from './text.js';

export interface HeaderProps {
  snapshot: LiveSnapshot;
  paused: boolean;
  width: number;
  /** 2: source and counters on lines of their own; 1: both on one line. */
  lines: number;
}

function sourceSegs(s: SourceInfo): Seg[] {
  const out: Seg[] = [{ text: `${s.kind} ` }, { text: sanitize(s.name), bold: true }];
  if (s.kind === 'interface' || s.filter !== null) out.push({ text: `  filter ${s.filter === null ? 'none' : sanitize(s.filter)}` });
  return out;
}

function counterSegs(s: LiveSnapshot): Seg[] {
  const item = (label: string, value: string, alert = false): Seg[] => [
    { text: `${label} `, dim: true },
    { text: value, bold: true, color: alert ? 'red' : undefined },
    { text: '  ' },
  ];
  // A file has no capture counters: the room goes to the others (80 columns cut the elapsed time).
  const noCounters = s.source.kind === 'file' && s.drops.kernelDrops === null && s.drops.interfaceDrops === null;
  return [
    ...item('packets', String(s.packets)),
    ...item('pkt/s', rate(s.pps)),
    ...(noCounters ? [] : item('drops kernel', countOrNa(s.drops.kernelDrops), (s.drops.kernelDrops ?? 0) > 0)),
    ...(noCounters ? [] : item('interface', countOrNa(s.drops.interfaceDrops), (s.drops.interfaceDrops ?? 0) > 0)),
    ...item('errors', String(s.errors), s.errors > 0),
    ...item('elapsed', elapsed(s.elapsedSec)),
  ];
}

export function Header(p: HeaderProps): React.JSX.Element {
  const first: Seg[] = [{ text: 'ucprobe', bold: true, color: 'cyan' }, { text: ' ' }];
  if (p.paused) first.push({ text: ' PAUSED ', color: 'yellow', bold: true, inverse: true }, { text: ' ' });
  if (p.snapshot.ended) first.push({ text: ' ENDED ', color: 'magenta', bold: true, inverse: true }, { text: ' ' });
  const l = p.snapshot.loading;
  if (l) first.push({ text: ` loading ${l.percent === null ? '' : `${l.percent} % `}(${l.packets} packets) `, color: 'yellow', bold: true, inverse: true }, { text: ' ' });
  first.push({ text: ' ' }, ...sourceSegs(p.snapshot.source));
  const counters = counterSegs(p.snapshot);
  const rows = p.lines >= 2 ? [first, counters] : [[...first, { text: '  ' }, ...counters]];
  return (
    <Box flexDirection="column" width={p.width}>
      {rows.map((segs, i) => <Line key={i} segs={fitSegs(segs, p.width)} />)}
    </Box>
  );
}
