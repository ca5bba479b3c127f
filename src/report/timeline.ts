// The capture at a glance: one lane per heartbeat stream with its loss runs,
// failovers, resets, restarts and recoveries, and a lane of SIP calls coloured
// by how they ended, all on the capture's time axis. The full event list is
// the table under it (html.ts).

import type { CallState } from '../sip/dialogs.js';
import type { PlotMarks } from './interval-plot.js';
import { linearScale, timeTicks } from './scale.js';
import { clip, el, num, svgText, text, type Markup } from './svg.js';

export interface TimelineLane {
  label: string;
  marks: PlotMarks;
}

export interface TimelineCall {
  start: number;
  /** BYE, final failure or the capture's end; the bar runs to here. */
  end: number;
  state: CallState;
  detail: string;
}

export interface TimelineInput {
  start: number;
  end: number;
  lanes: TimelineLane[];
  calls: TimelineCall[];
}

const WIDTH = 1200;
const LABEL = 250;
const RIGHT = 18;
const LANE = 24;
const TOP = 8;
const AXIS = 24;
/** Call bars drawn; a capture with more gets one bar per pixel column and state. */
const MAX_CALL_BARS = 2000;

export function timelineSvg(p: TimelineInput): Markup | null {
  const rows = p.lanes.length + (p.calls.length ? 1 : 0);
  if (rows === 0) return null;
  const span = Math.max(p.end - p.start, 1e-3);
  const x = linearScale([p.start, p.start + span], [LABEL, WIDTH - RIGHT]);
  const height = TOP + rows * LANE + AXIS;
  const bottom = TOP + rows * LANE;
  const out: Markup[] = [el('title', {}, text('Timeline of heartbeat events and SIP calls'))];
  const ticks = timeTicks(span, Math.floor((WIDTH - RIGHT - LABEL) / 110));
  for (const o of ticks.offsets) {
    const px = x.at(p.start + o);
    out.push(el('line', { class: 'grid', x1: px, x2: px, y1: TOP, y2: bottom }, null));
    out.push(svgText(px, bottom + 16, ticks.label(o), { class: 'tick', 'text-anchor': 'middle' }));
  }
  p.lanes.forEach((lane, i) => {
    const y = TOP + i * LANE;
    const mid = y + LANE / 2;
    if (i % 2 === 0) out.push(el('rect', { class: 'lane-bg', x: LABEL, y, width: WIDTH - RIGHT - LABEL, height: LANE }, null));
    out.push(svgText(LABEL - 8, mid + 4, clip(lane.label, 40), { class: 'lane-label', 'text-anchor': 'end' }));
    out.push(el('line', { class: 'lane-axis', x1: LABEL, x2: WIDTH - RIGHT, y1: mid, y2: mid }, null));
    const m = lane.marks;
    for (const s of m.losses) {
      const x0 = x.at(s.from);
      out.push(el('rect', { class: 'loss', x: x0, y: y + 4, width: Math.max(2, x.at(s.to) - x0), height: LANE - 8 }, el('title', {}, text(s.detail))));
    }
    for (const f of m.failovers) out.push(el('line', { class: 'failover', x1: x.at(f.time), x2: x.at(f.time), y1: y + 1, y2: y + LANE - 1 }, el('title', {}, text(f.detail))));
    for (const r of m.resets) out.push(el('path', { class: 'reset-mark', d: `M${num(x.at(r.time))},${num(mid - 6)}l6,6l-6,6l-6,-6Z` }, el('title', {}, text(r.detail))));
    for (const r of m.restarts) out.push(el('path', { class: 'restart-mark', d: `M${num(x.at(r.time))},${num(mid - 6)}l6,11h-12Z` }, el('title', {}, text(r.detail))));
    for (const r of m.recoveries) out.push(el('circle', { class: 'recovery-dot', cx: x.at(r.time), cy: mid, r: 3.5 }, el('title', {}, text(r.detail))));
  });
  if (p.calls.length) {
    const y = TOP + p.lanes.length * LANE;
    out.push(svgText(LABEL - 8, y + LANE / 2 + 4, `SIP calls (${p.calls.length})`, { class: 'lane-label', 'text-anchor': 'end' }));
    // Overlapping calls are stacked in up to three sub-rows, so concurrent calls stay apart.
    const subRows = 3;
    const rowEnd = new Array<number>(subRows).fill(-Infinity);
    const h = (LANE - 4) / subRows;
    const seen = new Set<string>();
    let drawn = 0;
    for (const c of p.calls) {
      const x0 = x.at(c.start);
      const x1 = Math.max(x0 + 3, x.at(c.end));
      let r = rowEnd.findIndex((e) => x0 > e + 1);
      if (r < 0) r = rowEnd.indexOf(Math.min(...rowEnd));
      rowEnd[r] = x1;
      if (drawn >= MAX_CALL_BARS) {
        const key = `${Math.round(x0)}|${r}|${c.state}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      drawn++;
      out.push(el('rect', { class: `call call-${c.state}`, x: x0, y: y + 2 + r * h, width: x1 - x0, height: h - 1, rx: 1.5 }, el('title', {}, text(c.detail))));
    }
  }
  out.push(el('line', { class: 'axis', x1: LABEL, x2: WIDTH - RIGHT, y1: bottom, y2: bottom }, null));
  return el('svg', {
    class: 'plot timeline', xmlns: 'http://www.w3.org/2000/svg', viewBox: `0 0 ${WIDTH} ${height}`, width: WIDTH, height,
    role: 'img', 'aria-label': 'timeline of heartbeat events and SIP calls',
  }, out);
}
