// Timestamps as people read them in packet lists. Capture files carry garbage
// times too (a pcapng block 2^64 µs from the epoch), beyond the ±8.64e12 s a
// Date spans: clocks are computed without Date, and a calendar date that
// cannot be written falls back to epoch seconds, never to "NaN" or a throw.

/** utc: HH:MM:SS.uuuuuu; iso: with the date (captures that span days); epoch: seconds; relative: from the first packet. */
export type TimeStyle = 'utc' | 'iso' | 'epoch' | 'relative';
export const TIME_STYLES: readonly TimeStyle[] = ['utc', 'iso', 'epoch', 'relative'];

const DAY = 86_400;

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/** Whole epoch seconds as HH:MM:SS of their UTC day. */
function dayClock(sec: number): string {
  const s = ((sec % DAY) + DAY) % DAY;
  return `${pad(Math.floor(s / 3600), 2)}:${pad(Math.floor(s / 60) % 60, 2)}:${pad(s % 60, 2)}`;
}

/** Format a (seconds, nanoseconds) timestamp; `origin` is the first packet's time for 'relative'. */
export function formatTime(sec: number, nsec: number, style: TimeStyle, origin: number): string {
  if (style === 'epoch') return `${sec}.${pad(Math.floor(nsec / 1000), 6)}`;
  if (style === 'relative') return (sec + nsec / 1e9 - origin).toFixed(6);
  if (style === 'iso') return isoOf(sec, Math.floor(nsec / 1000));
  return `${dayClock(sec)}.${pad(Math.floor(nsec / 1000), 6)}`;
}

/** Epoch seconds as whole seconds and microseconds, rounded (30.1 s must not print as 30.099999). */
function splitMicros(t: number): { sec: number; us: number } {
  const sec = Math.floor(t);
  const us = Math.round((t - sec) * 1e6);
  return us === 1e6 ? { sec: sec + 1, us: 0 } : { sec, us };
}

/** Epoch seconds as UTC wall time with microseconds (HH:MM:SS.uuuuuu): call lists, event tables. */
export function utcClock(t: number): string {
  const { sec, us } = splitMicros(t);
  return `${dayClock(sec)}.${pad(us, 6)}`;
}

/** Epoch seconds as HH:MM:SS.mmm UTC: the live panes. */
export function clockMs(t: number): string {
  const { sec, us } = splitMicros(t);
  return `${dayClock(sec)}.${pad(Math.floor(us / 1000), 3)}`;
}

/** ISO 8601 UTC with microseconds, for reports; epoch seconds outside years 0000-9999. */
export function isoTime(t: number): string {
  const { sec, us } = splitMicros(t);
  return isoOf(sec, us);
}

function isoOf(sec: number, us: number): string {
  const d = new Date(sec * 1000);
  const year = d.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) return `${sec}.${pad(us, 6)} (epoch s)`;
  return `${d.toISOString().slice(0, 19)}.${pad(us, 6)}Z`;
}
