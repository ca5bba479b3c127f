// A one-line chart of recent heartbeat intervals.

const BARS = '▁▂▃▄▅▆▇█';

/**
 * The newest `width` values as bars. With `nominal` (the expected interval)
 * the scale is fixed: one level per nominal interval, so a value at or near
 * the nominal is the lowest bar and a gap of n intervals (n-1 missed beats)
 * stands n-1 levels higher, up to the full bar at 8 intervals. Without it
 * the bars span the values' own minimum to maximum. Empty input gives ''.
 */
export function sparkline(values: number[], width: number, nominal?: number): string {
  const w = Math.max(0, Math.floor(width));
  const vs = values.slice(Math.max(0, values.length - w)).map((v) => (Number.isFinite(v) ? v : 0));
  if (vs.length === 0 || w === 0) return '';
  const top = BARS.length - 1;
  let level: (v: number) => number;
  if (nominal !== undefined && nominal > 0) {
    level = (v) => Math.round(v / nominal) - 1;
  } else {
    const lo = Math.min(...vs);
    const span = Math.max(...vs) - lo;
    // A flat series has nothing standing out: all low.
    level = (v) => (span === 0 ? 0 : Math.round(((v - lo) / span) * top));
  }
  return vs.map((v) => BARS[Math.min(top, Math.max(0, level(v)))]).join('');
}
