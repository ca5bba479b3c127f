// The interval plot of one heartbeat stream (one direction of a pair): the
// time between consecutive heartbeats against capture time, drawn as the
// min..max band of each pixel column. On it: the nominal interval and the
// silence at which the receiver fails over (dashed), loss runs as shaded
// spans, the failover as a red line, the TCP reset, restarts and recoveries.

import type { HeartbeatEvent } from '../heartbeat/events.js';
import { endpoint } from '../pipeline/flow-key.js';
import type { Bucket, IntervalSeries } from './collect.js';
import { formatMoment, linearScale, linearTicks, niceCeil, timeTicks, type LinearScale } from './scale.js';
import { clip, el, num, svgText, text, textWidth, type Markup } from './svg.js';

/** A shaded stretch of silence: a run of missed heartbeats. */
export interface SpanMark {
  from: number;
  to: number;
  /** Short text shown beside it when there is room. */
  label: string;
  /** The full sentence, as a tooltip. */
  detail: string;
}

/** A moment: failover, reset, restart, recovery. */
export interface PointMark {
  time: number;
  label: string;
  detail: string;
}

export interface PlotMarks {
  losses: SpanMark[];
  failovers: PointMark[];
  resets: PointMark[];
  restarts: PointMark[];
  recoveries: PointMark[];
}

export interface IntervalPlotInput {
  /** What the plot shows, for screen readers and the tooltip. */
  title: string;
  /** Null when the stream's intervals were not kept (past the stream cap). */
  series: IntervalSeries | null;
  /** The capture's first and last packet times (epoch s): every panel of a file shares this axis. */
  start: number;
  end: number;
  nominalMs: number;
  /** Silence after a heartbeat at which the receiver has missed `threshold` deadlines. */
  failoverSilenceMs: number;
  marks: PlotMarks;
  width?: number;
  height?: number;
}

/** One pixel column of the plot: the min and max interval of the buckets centred in it. */
export interface PlotColumn {
  x: number;
  min: number;
  max: number;
  count: number;
}

export const PLOT_WIDTH = 1200;
export const PLOT_HEIGHT = 200;
const MARGIN = { left: 58, right: 18, top: 40, bottom: 26 } as const;
const FONT = 11;
/** Clipped columns labelled with their value; the rest only get the marker. */
const MAX_CLIP_LABELS = 3;
/** Loss runs labelled with their count; a busier plot has only the shading (and the tooltips). */
const MAX_LOSS_LABELS = 15;
/** Space kept between two labels. */
const GAP = 8;
/** Mark labels are bold: wider per character than textWidth's default. */
const BOLD_EM = 0.64;

/** Aggregate buckets into one column per pixel (by bucket centre), keeping min and max. */
export function plotColumns(buckets: readonly Bucket[], x: LinearScale): PlotColumn[] {
  const cols = new Map<number, PlotColumn>();
  const [lo, hi] = x.range;
  for (const b of buckets) {
    const px = Math.min(hi, Math.max(lo, Math.floor(x.at((b.start + b.end) / 2))));
    const c = cols.get(px);
    if (c === undefined) cols.set(px, { x: px + 0.5, min: b.min, max: b.max, count: b.count });
    else {
      if (b.min < c.min) c.min = b.min;
      if (b.max > c.max) c.max = b.max;
      c.count += b.count;
    }
  }
  return [...cols.values()].sort((a, b) => a.x - b.x);
}

/** The top of the value axis: the data's largest interval, cut at twice the failover silence, and never below it. */
export function intervalAxisMax(maxSeen: number, nominalMs: number, failoverSilenceMs: number): number {
  const cap = 2 * failoverSilenceMs;
  return niceCeil(Math.max(Math.min(maxSeen, cap), failoverSilenceMs * 1.1, nominalMs * 1.5));
}

/** Labels in a few rows; one that overlaps every row is left to its mark's tooltip. */
class LabelRows {
  private readonly taken: Array<Array<[number, number]>>;
  constructor(rows: number) {
    this.taken = Array.from({ length: rows }, () => []);
  }
  /** The row a label spanning [x0, x1] fits in, trying `from` first; -1 for none. */
  place(x0: number, x1: number, from = 0): number {
    for (let k = 0; k < this.taken.length; k++) {
      const r = (from + k) % this.taken.length;
      if (this.taken[r].every(([a, b]) => x1 + GAP < a || x0 > b + GAP)) {
        this.taken[r].push([x0, x1]);
        return r;
      }
    }
    return -1;
  }
}


/** The marks of one stream from the heartbeat events; resets between the pair's hosts with no failover go on both panels. */
export function streamMarks(stream: string, events: readonly HeartbeatEvent[], origin: number, end: number, hosts: readonly [string, string]): PlotMarks {
  const m: PlotMarks = { losses: [], failovers: [], resets: [], restarts: [], recoveries: [] };
  const rel = (t: number, o: number): string => formatMoment(t - o, end - origin);
  const between = (a: string, b: string): boolean => (a === hosts[0] && b === hosts[1]) || (a === hosts[1] && b === hosts[0]);
  for (const e of events) {
    switch (e.type) {
      case 'loss':
        if (e.stream !== stream) break;
        m.losses.push({
          from: e.lastHeard,
          to: e.resumed ?? end,
          label: e.nextSeq === null ? `silent to end (${e.misses} missed)` : `${e.lost} lost`,
          detail: e.nextSeq === null
            ? `silent after seq ${e.afterSeq} (last heard ${rel(e.lastHeard, origin)}) to the end of the capture: ${e.misses} deadlines missed`
            : `${e.lost} lost after seq ${e.afterSeq}, ${e.misses} missed in a row, resumed with seq ${e.nextSeq} after ${((e.resumed! - e.lastHeard) * 1000).toFixed(1)} ms`,
        });
        break;
      case 'failover':
        if (e.stream !== stream) break;
        m.failovers.push({
          time: e.time,
          label: `FAILOVER ${rel(e.time, origin)} · last seq ${e.lastSeq}`,
          detail: `${e.noticedBy} failed over: missed ${e.stream.split('>')[0]} (last heard ${rel(e.lastHeard, origin)}, seq ${e.lastSeq}); ${e.reset ? `reset ${e.reset.delayMs.toFixed(3)} ms later` : 'NO RESET SEEN'}`,
        });
        break;
      case 'recovery':
        if (e.stream !== stream) break;
        m.recoveries.push({ time: e.time, label: 'recovered', detail: `recovered ${rel(e.time, origin)}: seq ${e.seq}, ${e.downMs.toFixed(1)} ms after the failover` });
        break;
      case 'restart':
        if (e.stream !== stream) break;
        m.restarts.push({
          time: e.time,
          label: `restart ${e.fromSeq}→${e.toSeq}`,
          detail: `sequence ${e.fromSeq} -> ${e.toSeq} ${rel(e.time, origin)} (${e.nearZero ? 'sender restarted' : 'counter jumped'})`,
        });
        break;
      case 'reset':
      case 'unexplained-reset': {
        const mine = e.type === 'reset' ? e.stream === stream : between(e.src, e.dst);
        if (!mine) break;
        const who = `${endpoint(e.src, e.sport)} > ${endpoint(e.dst, e.dport)}`;
        m.resets.push({
          time: e.time,
          label: e.type === 'reset' ? `RST +${e.delayMs!.toFixed(1)} ms` : 'RST, no failover',
          detail: e.type === 'reset'
            ? `TCP reset ${who} ${rel(e.time, origin)}, ${e.delayMs!.toFixed(3)} ms after the failover`
            : `TCP reset ${who} ${rel(e.time, origin)} with no failover before it`,
        });
        break;
      }
    }
  }
  return m;
}

/** The SVG of one stream's interval plot. */
export function intervalPlot(p: IntervalPlotInput): Markup {
  const W = p.width ?? PLOT_WIDTH;
  const H = p.height ?? PLOT_HEIGHT;
  const left = MARGIN.left;
  const right = W - MARGIN.right;
  const top = MARGIN.top;
  const bottom = H - MARGIN.bottom;
  const span = Math.max(p.end - p.start, 1e-3);
  const x = linearScale([p.start, p.start + span], [left, right]);
  // Marks stay inside the plot even when a moment falls a hair outside the capture's span.
  const xm = (t: number): number => Math.min(right, Math.max(left, x.at(t)));
  const buckets = p.series?.buckets ?? [];
  const maxSeen = buckets.reduce((mx, b) => Math.max(mx, b.max), 0);
  const yMax = intervalAxisMax(maxSeen, p.nominalMs, p.failoverSilenceMs);
  const y = linearScale([0, yMax], [bottom, top]);
  const parts: Markup[] = [];

  parts.push(el('title', {}, text(p.title)));
  parts.push(el('rect', { class: 'plot-bg', x: left, y: top, width: right - left, height: bottom - top }, null));

  // Grid and axes.
  const ticks = timeTicks(span, Math.max(2, Math.floor((right - left) / 110)));
  for (const o of ticks.offsets) {
    const px = x.at(p.start + o);
    if (px < left - 0.5 || px > right + 0.5) continue;
    parts.push(el('line', { class: 'grid', x1: px, x2: px, y1: top, y2: bottom }, null));
    parts.push(svgText(px, bottom + 16, ticks.label(o), { class: 'tick', 'text-anchor': 'middle' }));
  }
  for (const v of linearTicks(0, yMax, 4)) {
    const py = y.at(v);
    parts.push(el('line', { class: 'grid', x1: left, x2: right, y1: py, y2: py }, null));
    parts.push(svgText(left - 6, py + 4, String(v), { class: 'tick', 'text-anchor': 'end' }));
  }
  parts.push(svgText(left - 6, top - 8, 'ms', { class: 'tick unit', 'text-anchor': 'end' }));

  // Loss runs: shaded spans of silence, at least 2 px wide so a short one still shows.
  const labels = new LabelRows(2);
  const rowY = (r: number): number => top - 26 + r * 13;
  const spanLabels: Array<{ x0: number; x1: number; label: string }> = [];
  for (const s of p.marks.losses) {
    const x0 = xm(s.from);
    const x1 = Math.min(right, Math.max(xm(s.to), x0 + 2));
    parts.push(el('rect', { class: 'loss', x: x0, y: top, width: Math.max(2, x1 - x0), height: bottom - top }, el('title', {}, text(s.detail))));
    spanLabels.push({ x0, x1, label: s.label });
  }

  // Reference lines: the nominal interval and the silence that fails over.
  const refLine = (v: number, cls: string, label: string): void => {
    if (v > yMax) return;
    const py = y.at(v);
    parts.push(el('line', { class: cls, x1: left, x2: right, y1: py, y2: py }, null));
    parts.push(svgText(right - 4, py - 4, label, { class: `ref-label ${cls}`, 'text-anchor': 'end' }));
  };
  refLine(p.nominalMs, 'ref-nominal', `nominal ${fmtMs(p.nominalMs)} ms`);
  refLine(p.failoverSilenceMs, 'ref-failover', `failover at ${fmtMs(p.failoverSilenceMs)} ms of silence`);

  // The data: a band from each column's min to its max, edged by both traces.
  const cols = plotColumns(buckets, x);
  if (cols.length > 0) {
    const yc = (v: number): number => y.at(Math.min(v, yMax));
    const maxPts = cols.map((c) => `${num(c.x)},${num(yc(c.max))}`);
    const minPts = cols.map((c) => `${num(c.x)},${num(yc(c.min))}`).reverse();
    parts.push(el('polygon', { class: 'band', points: [...maxPts, ...minPts].join(' ') }, null));
    parts.push(el('polyline', { class: 'trace', points: maxPts.join(' ') }, null));
    if (cols.some((c) => c.min !== c.max)) parts.push(el('polyline', { class: 'trace trace-min', points: [...minPts].reverse().join(' ') }, null));
    // Intervals above the axis: a marker at the top edge, the largest few with their value.
    const clipped = cols.filter((c) => c.max > yMax);
    const labelled = new Set([...clipped].sort((a, b) => b.max - a.max).slice(0, MAX_CLIP_LABELS));
    for (const c of clipped) {
      parts.push(el('path', { class: 'clip-mark', d: `M${num(c.x - 4)},${num(top + 7)}L${num(c.x)},${num(top)}L${num(c.x + 4)},${num(top + 7)}Z` },
        el('title', {}, text(`interval ${fmtMs(c.max)} ms (above the axis)`))));
      if (labelled.has(c)) parts.push(svgText(c.x + 6, top + 10, `${fmtMs(c.max)} ms`, { class: 'clip-label' }));
    }
  } else {
    parts.push(svgText((left + right) / 2, (top + bottom) / 2, p.series === null ? 'intervals of this stream were not kept (stream limit)' : 'fewer than two heartbeats: no interval to plot', { class: 'empty', 'text-anchor': 'middle' }));
  }

  // Moments, drawn over the data so they stay visible; labels in the rows above the plot, drawn last so no line crosses them.
  const labelParts: Markup[] = [];
  const placeLabel = (px: number, label: string, cls: string, row: number, anchorEnd = false): void => {
    const w = textWidth(label, FONT, BOLD_EM);
    let x0 = anchorEnd ? px - w - 4 : px + 4;
    if (x0 + w > right) x0 = px - w - 4;
    if (x0 < left) x0 = Math.min(px + 4, right - w);
    const r = labels.place(x0, x0 + w, row);
    if (r >= 0) labelParts.push(svgText(x0, rowY(r), label, { class: `mark-label ${cls}` }));
  };
  const vline = (px: number, cls: string, detail: string): void => {
    parts.push(el('line', { class: cls, x1: px, x2: px, y1: top - 30, y2: bottom }, el('title', {}, text(detail))));
  };
  for (const f of p.marks.failovers) {
    const px = xm(f.time);
    vline(px, 'failover', f.detail);
    placeLabel(px, f.label, 'failover-label', 0, true);
  }
  for (const r of p.marks.resets) {
    const px = xm(r.time);
    vline(px, 'reset', r.detail);
    parts.push(el('path', { class: 'reset-mark', d: `M${num(px)},${num(top - 5)}l5,5l-5,5l-5,-5Z` }, el('title', {}, text(r.detail))));
    placeLabel(px, r.label, 'reset-label', 1);
  }
  for (const s of p.marks.restarts) {
    const px = xm(s.time);
    vline(px, 'restart', s.detail);
    placeLabel(px, s.label, 'restart-label', 0);
  }
  for (const r of p.marks.recoveries) {
    const px = xm(r.time);
    parts.push(el('path', { class: 'recovery-mark', d: `M${num(px)},${num(bottom)}l5,-8h-10Z` }, el('title', {}, text(r.detail))));
  }
  // Loss labels go inside the plot's top edge (heartbeat intervals rarely reach it), beside their span.
  const inside = new LabelRows(1);
  for (const s of spanLabels.length <= MAX_LOSS_LABELS ? spanLabels : []) {
    const label = clip(s.label, 30);
    const w = textWidth(label, FONT);
    let x0 = s.x1 + 4;
    if (x0 + w > right) x0 = s.x0 - w - 4;
    if (inside.place(x0, x0 + w) >= 0) labelParts.push(svgText(x0, top + 13, label, { class: 'mark-label loss-label' }));
  }

  parts.push(el('rect', { class: 'plot-frame', x: left, y: top, width: right - left, height: bottom - top }, null));
  parts.push(...labelParts);
  return el('svg', {
    class: 'plot interval-plot', xmlns: 'http://www.w3.org/2000/svg', viewBox: `0 0 ${W} ${H}`, width: W, height: H,
    role: 'img', 'aria-label': p.title, preserveAspectRatio: 'xMinYMin meet',
  }, parts);
}

function fmtMs(v: number): string {
  return v >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(1);
}
