// Numbers and times as the panes show them.

function pad2(n: number): string {
  return String(n).padStart(2, '0');
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
