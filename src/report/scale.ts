// Scales for the report's plots: a linear map from data to pixels, "nice"
// tick values (1, 2 or 5 times a power of ten) for value axes, and time
// ticks on round clock steps (1 s, 15 s, 5 min, 1 h...) for capture time
// axes, labelled as offsets from the capture start.

/** A linear map from a data interval onto a pixel interval. */
export interface LinearScale {
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
  /** Pixel position of a value (values outside the domain map outside the range). */
  at(value: number): number;
}

export function linearScale(domain: readonly [number, number], range: readonly [number, number]): LinearScale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  // A zero-width domain (one sample, one timestamp) maps everything to the middle rather than dividing by zero.
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  const mid = (r0 + r1) / 2;
  return { domain, range, at: (v: number): number => (k === 0 ? mid : r0 + (v - d0) * k) };
}

/** The smallest nice step (1, 2 or 5 × 10^n) that cuts `span` into at most `count` parts. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !(count > 0)) return 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  // Float error can leave raw/mag a hair above a round number (0.30000000000000004): it is that number.
  const f = Number((raw / mag).toPrecision(12));
  const m = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return m * mag;
}

/** Decimal places that print every multiple of `step` exactly (0.25 -> 2, 5 -> 0). */
export function stepDecimals(step: number): number {
  for (let d = 0; d < 10; d++) if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-9 * 10 ** d) return d;
  return 10;
}

/** Multiples of a nice step inside [lo, hi], about `count` of them. */
export function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo) return [];
  if (hi === lo) return [lo];
  const step = niceStep(hi - lo, count);
  const d = stepDecimals(step);
  const out: number[] = [];
  // Integer multiples, rounded to the step's decimals, so 0.1 + 0.2 prints as 0.3.
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) out.push(Number((i * step).toFixed(d)));
  return out;
}

/** The smallest multiple of a nice step (about a tenth of `v`) at or above `v`: the top of a value axis that starts at 0. */
export function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const step = niceStep(v, 10);
  return Number((Math.ceil(v / step - 1e-9) * step).toFixed(stepDecimals(step)));
}

/** Steps a capture time axis may use, in seconds: sub-second nice steps, then clock steps. */
const CLOCK_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

export interface TimeTicks {
  /** Seconds between ticks. */
  step: number;
  /** Tick positions as seconds from the origin. */
  offsets: number[];
  /** The label of an offset, in the unit the step calls for. */
  label(offset: number): string;
}

/** The step from the list nearest above span / count; nice decimal steps below a second. */
export function timeStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  if (raw < 1) return niceStep(span, count);
  return CLOCK_STEPS.find((s) => s >= raw * 0.999) ?? Math.ceil(raw / 604800) * 604800;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * Time since the capture start as an engineer reads it: "2.5 s" and "40 s"
 * for short spans, "12:30" (min:s) up to an hour, "1:05:00" (h:min:s) past it.
 */
export function formatOffset(offset: number, step: number, span: number): string {
  const sign = offset < 0 ? '-' : '';
  const v = Math.abs(offset);
  if (step < 1) return `${sign}${v.toFixed(stepDecimals(step))} s`;
  if (span < 120) return `${sign}${Math.round(v)} s`;
  const whole = Math.round(v);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  if (span < 3600) return `${sign}${Math.floor(whole / 60)}:${pad2(s)}`;
  if (step >= 86400 && whole % 86400 === 0) return `${sign}${whole / 86400} d`;
  return `${sign}${h}:${pad2(m)}${step < 60 || s !== 0 ? `:${pad2(s)}` : ''}`;
}

/** Ticks for a capture time axis covering [0, span] seconds from the capture start. */
export function timeTicks(span: number, count = 8): TimeTicks {
  const safeSpan = span > 0 ? span : 1;
  const step = timeStep(safeSpan, count);
  const d = stepDecimals(step);
  const offsets: number[] = [];
  for (let i = 0; i * step <= safeSpan + step * 1e-9; i++) offsets.push(Number((i * step).toFixed(d)));
  return { step, offsets, label: (o) => formatOffset(o, step, safeSpan) };
}

/**
 * Ticks for a stretch [from, to] of a capture time axis (seconds from the
 * capture start), labelled as the whole capture's axis labels them (`span`):
 * a plot zoomed on one stream still reads in the capture's time.
 */
export function offsetTicks(from: number, to: number, span: number, count = 8): TimeTicks {
  const step = timeStep(to > from ? to - from : 1, count);
  const d = stepDecimals(step);
  const offsets: number[] = [];
  for (let i = Math.ceil(from / step - 1e-9); i * step <= to + step * 1e-9; i++) offsets.push(Number((i * step).toFixed(d)));
  return { step, offsets, label: (o) => formatOffset(o, step, Math.max(span, 1e-9)) };
}

/** A unit for a time-axis title: what formatOffset prints for this span and step. */
export function timeAxisUnit(span: number, step: number): string {
  if (step < 1 || span < 120) return 's';
  return span < 3600 ? 'min:s' : 'h:min';
}

/**
 * A moment as an offset from the capture start, to the millisecond, in the
 * axis's units: "+30.445 s" in a short capture, "+47:53.457" (min:s) up to an
 * hour, "+1:05:00.250" (h:min:s) past it.
 */
export function formatMoment(offset: number, span: number): string {
  const sign = offset < 0 ? '-' : '+';
  const v = Math.abs(offset);
  if (span < 120) return `${sign}${v.toFixed(3)} s`;
  const ms = Math.round(v * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = ((ms % 60_000) / 1000).toFixed(3).padStart(6, '0');
  return span < 3600 ? `${sign}${h * 60 + m}:${s}` : `${sign}${h}:${pad2(m)}:${s}`;
}
