// Numbers and times as the panes show them.

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Epoch seconds as HH:MM:SS.mmm UTC. */
export function clockMs(t: number): string {
  // Through whole microseconds first, so 30.1 s does not print as 30.099.
  const ms = Math.floor(Math.round(t * 1e6) / 1000);
  const d = new Date(ms);
  return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.${String(ms % 1000).padStart(3, '0')}`;
}

/** Seconds as h:mm:ss. */
export function elapsed(sec: number): string {
  const s = Math.max(0, Math.floor(sec));
  return `${Math.floor(s / 3600)}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}`;
}

/** A count that may be unknown. */
export function countOrNa(n: number | null): string {
  return n === null ? 'n/a' : String(n);
}

/** Packets per second: one decimal below 10, where it matters. */
export function rate(pps: number): string {
  return pps < 10 ? pps.toFixed(1) : pps.toFixed(0);
}

/** Milliseconds for a table cell; '-' when unknown. */
export function msCell(v: number | null): string {
  if (v === null) return '-';
  return v < 10 ? v.toFixed(2) : v.toFixed(1);
}
