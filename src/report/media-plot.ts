// One RTP stream over time: the RFC 3550 jitter of each bucket (max, and
// mean as a thinner line; left axis, ms) and the packets lost in it (red)
// with those late for the jitter buffer stacked above (orange), as a share
// of the numbers the bucket expected (right axis, %). Heartbeat failover
// windows (last heartbeat heard to the declaration) are shaded on the same
// time axis: media lost inside one is the same network fault the cluster saw.
//
// The axis is the capture's, as the heartbeat plots'; a stream that covers
// less than a quarter of the capture gets its own stretch of it, still
// labelled in time from the capture start.

import type { SeriesBucket, StreamSeriesReport } from '../media/stream-series.js';
import { formatMoment, linearScale, linearTicks, niceCeil, offsetTicks } from './scale.js';
import { el, num, svgText, text, textWidth, type Markup } from './svg.js';

/** A heartbeat failover's window: from the last heartbeat heard to the failover. */
export interface FailoverWindow {
  from: number;
  to: number;
  detail: string;
}

export interface MediaPlotInput {
  title: string;
  /** Null when the stream got no series (memory budget). */
  series: StreamSeriesReport | null;
  /** The capture's first and last packet (epoch s). */
  captureStart: number;
  captureEnd: number;
  /** The stream's first and last packet. */
  first: number;
  last: number;
  failovers: readonly FailoverWindow[];
  width?: number;
  height?: number;
}

export const MEDIA_PLOT_WIDTH = 1200;
export const MEDIA_PLOT_HEIGHT = 170;
const MARGIN = { left: 58, right: 58, top: 30, bottom: 26 } as const;
/** Width of the bold 'failover' label (textWidth of it at 11 px, bold). */
const FAILOVER_LABEL_PX = textWidth('failover', 11, 0.64);
/** Below this share of the capture a stream is drawn over its own stretch of time. */
const ZOOM_BELOW = 0.25;

/** The stretch of capture time a stream's plot covers (epoch s). */
export function mediaPlotDomain(p: Pick<MediaPlotInput, 'captureStart' | 'captureEnd' | 'first' | 'last'>): [number, number] {
  const span = p.captureEnd - p.captureStart;
  const own = p.last - p.first;
  if (span <= 0 || own >= ZOOM_BELOW * span) return [p.captureStart, Math.max(p.captureEnd, p.captureStart + 1e-3)];
  const pad = Math.max(0.5, own * 0.05);
  return [Math.max(p.captureStart, p.first - pad), Math.min(p.captureEnd, p.last + pad)];
}

/** Loss and late packets as % of the numbers the bucket expected. */
function shares(b: SeriesBucket): { lost: number; late: number } {
  if (b.expected <= 0) return { lost: 0, late: 0 };
  return { lost: (100 * b.lost) / b.expected, late: (100 * b.late) / b.expected };
}

/** Runs of buckets with jitter values, split where the stream was silent for more than a bucket. */
function jitterRuns(buckets: readonly SeriesBucket[], width: number): SeriesBucket[][] {
  const runs: SeriesBucket[][] = [];
  let run: SeriesBucket[] = [];
  let prevStart = -Infinity;
  for (const b of buckets) {
    if (b.jitterMaxMs === null) continue;
    if (b.start - prevStart > width * 1.5 && run.length > 0) {
      runs.push(run);
      run = [];
    }
    run.push(b);
    prevStart = b.start;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

export function mediaPlot(p: MediaPlotInput): Markup {
  const W = p.width ?? MEDIA_PLOT_WIDTH;
  const H = p.height ?? MEDIA_PLOT_HEIGHT;
  const left = MARGIN.left;
  const right = W - MARGIN.right;
  const top = MARGIN.top;
  const bottom = H - MARGIN.bottom;
  const [d0, d1] = mediaPlotDomain(p);
  const x = linearScale([d0, d1], [left, right]);
  const xm = (t: number): number => Math.min(right, Math.max(left, x.at(t)));
  const captureSpan = p.captureEnd - p.captureStart;
  const rel = (t: number): string => formatMoment(t - p.captureStart, captureSpan);
  const buckets = p.series?.buckets ?? [];
  const jitterTop = niceCeil(Math.max(1, ...buckets.map((b) => b.jitterMaxMs ?? 0)));
  const shareTop = Math.min(100, niceCeil(Math.max(1, ...buckets.map((b) => { const s = shares(b); return s.lost + s.late; }))));
  const yj = linearScale([0, jitterTop], [bottom, top]);
  const ys = linearScale([0, shareTop], [bottom, top]);
  const parts: Markup[] = [el('title', {}, text(p.title))];
  parts.push(el('rect', { class: 'plot-bg', x: left, y: top, width: right - left, height: bottom - top }, null));

  const ticks = offsetTicks(d0 - p.captureStart, d1 - p.captureStart, captureSpan, Math.max(2, Math.floor((right - left) / 110)));
  for (const o of ticks.offsets) {
    const px = x.at(p.captureStart + o);
    if (px < left - 0.5 || px > right + 0.5) continue;
    parts.push(el('line', { class: 'grid', x1: px, x2: px, y1: top, y2: bottom }, null));
    parts.push(svgText(px, bottom + 16, ticks.label(o), { class: 'tick', 'text-anchor': 'middle' }));
  }
  for (const v of linearTicks(0, jitterTop, 4)) {
    const py = yj.at(v);
    parts.push(el('line', { class: 'grid', x1: left, x2: right, y1: py, y2: py }, null));
    parts.push(svgText(left - 6, py + 4, String(v), { class: 'tick', 'text-anchor': 'end' }));
  }
  for (const v of linearTicks(0, shareTop, 4)) parts.push(svgText(right + 6, ys.at(v) + 4, String(v), { class: 'tick tick-loss' }));
  parts.push(svgText(left - 6, top - 8, 'jitter ms', { class: 'tick unit', 'text-anchor': 'end' }));
  parts.push(svgText(right + 6, top - 8, 'lost %', { class: 'tick unit tick-loss' }));

  // Failover windows under the data, so the loss bars inside them stay visible; a label only where it has room.
  let labelEnd = -Infinity;
  for (const f of [...p.failovers].sort((a, b) => a.from - b.from)) {
    if (f.to < d0 || f.from > d1) continue;
    const x0 = xm(f.from);
    const w = Math.max(2, xm(f.to) - x0);
    parts.push(el('rect', { class: 'failover-window', x: x0, y: top, width: w, height: bottom - top }, el('title', {}, text(f.detail))));
    const lx = Math.min(x0, right - FAILOVER_LABEL_PX);
    if (lx < labelEnd + 6) continue;
    parts.push(svgText(lx, top - 8, 'failover', { class: 'mark-label failover-label' }));
    labelEnd = lx + FAILOVER_LABEL_PX;
  }

  if (buckets.length === 0) {
    parts.push(svgText((left + right) / 2, (top + bottom) / 2, p.series === null ? 'no series kept for this stream (memory bound)' : 'no packets', { class: 'empty', 'text-anchor': 'middle' }));
  }
  // Loss, then late stacked on it: one bar per bucket that had any, at least 2 px wide.
  for (const b of buckets) {
    if (b.lost <= 0 && b.late <= 0) continue;
    const s = shares(b);
    const x0 = xm(b.start);
    const w = Math.max(2, xm(b.end) - x0 - 0.5);
    const detail = `${rel(b.start)} to ${rel(b.end)}: ${b.lost} lost and ${b.late} late of ${b.expected} expected (${(s.lost + s.late).toFixed(1)} %), ${b.packets} packets received`;
    const yLost = ys.at(Math.min(s.lost, shareTop));
    const yBoth = ys.at(Math.min(s.lost + s.late, shareTop));
    if (b.lost > 0) parts.push(el('rect', { class: 'media-lost', x: x0, y: yLost, width: w, height: Math.max(1, bottom - yLost) }, el('title', {}, text(detail))));
    if (b.late > 0) parts.push(el('rect', { class: 'media-late', x: x0, y: yBoth, width: w, height: Math.max(1, yLost - yBoth) }, el('title', {}, text(detail))));
  }
  // Jitter: the max per bucket, and the mean, at the bucket's centre.
  const width = p.series?.bucketSeconds ?? 1;
  for (const run of jitterRuns(buckets, width)) {
    const at = (b: SeriesBucket, v: number): string => `${num(xm((b.start + b.end) / 2))},${num(yj.at(Math.min(v, jitterTop)))}`;
    parts.push(el('polyline', { class: 'jitter-mean', points: run.map((b) => at(b, b.jitterMeanMs!)).join(' ') }, null));
    parts.push(el('polyline', { class: 'jitter-max', points: run.map((b) => at(b, b.jitterMaxMs!)).join(' ') }, null));
  }
  parts.push(el('rect', { class: 'plot-frame', x: left, y: top, width: right - left, height: bottom - top }, null));
  return el('svg', {
    class: 'plot media-plot', xmlns: 'http://www.w3.org/2000/svg', viewBox: `0 0 ${W} ${H}`, width: W, height: H,
    role: 'img', 'aria-label': p.title, preserveAspectRatio: 'xMinYMin meet', 'data-buckets': buckets.length,
  }, parts);
}
