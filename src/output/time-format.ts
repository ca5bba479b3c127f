// Timestamps as people read them in packet lists.

export type TimeStyle = 'utc' | 'epoch' | 'relative';

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/** Format a (seconds, nanoseconds) timestamp; `origin` is the first packet's time for 'relative'. */
export function formatTime(sec: number, nsec: number, style: TimeStyle, origin: number): string {
  if (style === 'epoch') return `${sec}.${pad(Math.floor(nsec / 1000), 6)}`;
  if (style === 'relative') return (sec + nsec / 1e9 - origin).toFixed(6);
  const d = new Date(sec * 1000);
  return `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(Math.floor(nsec / 1000), 6)}`;
}

/** Epoch seconds as UTC wall time with microseconds (HH:MM:SS.uuuuuu): call lists, event tables. */
export function utcClock(t: number): string {
  const sec = Math.floor(t);
  return formatTime(sec, Math.round((t - sec) * 1e6) * 1000, 'utc', 0);
}

/** ISO 8601 UTC with microseconds, for reports. */
export function isoTime(t: number): string {
  const sec = Math.floor(t);
  const us = Math.round((t - sec) * 1e6);
  const d = new Date((sec + Math.floor(us / 1e6)) * 1000);
  return `${d.toISOString().slice(0, 19)}.${pad(us % 1e6, 6)}Z`;
}
