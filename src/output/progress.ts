// The progress line of a long read (analyze, report) on a terminal: bytes
// read of the input's size, packets, rate and time left, rewritten in place
// at most once every PROGRESS_INTERVAL_MS and erased when the work ends. The
// clock is handed in, so what is shown when is testable without waiting.

import type { ReadProgress } from '../sources/types.js';
import { sanitize } from './sanitize.js';

export const PROGRESS_INTERVAL_MS = 250;

/** Where the line goes: stderr, when it is a terminal. */
export interface ProgressTerminal {
  write(s: string): unknown;
  columns?: number;
}

const MIB = 1024 * 1024;

function mib(n: number): string {
  return `${(n / MIB).toFixed(1)} MiB`;
}

/** 75 -> "1:15", 3725 -> "1:02:05". */
function duration(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** "demo.pcap: 12.0 MiB of 48.0 MiB (25 %), 100000 packets, 24.0 MiB/s, 0:02 left". */
export function progressText(name: string, p: ReadProgress, elapsedMs: number): string {
  const packets = p.facts?.packets ?? 0;
  const rate = elapsedMs > 0 ? (p.bytes * 1000) / elapsedMs : 0;
  const of = p.total !== null && p.total > 0 ? ` of ${mib(p.total)} (${Math.min(100, Math.floor((p.bytes * 100) / p.total))} %)` : '';
  const left = p.total !== null && rate > 0 ? `, ${duration(Math.max(0, p.total - p.bytes) / rate)} left` : '';
  return `${sanitize(name)}: ${mib(p.bytes)}${of}, ${packets} packets, ${mib(rate)}/s${left}`;
}

export class ProgressLine {
  private name = '';
  private progress: ReadProgress | null = null;
  private startedAt = 0;
  private shownAt = -Infinity;
  private shown = false;

  constructor(private readonly term: ProgressTerminal, private readonly now: () => number = Date.now) {}

  /** The next input: its rate and time left count from now. */
  begin(name: string, progress: ReadProgress): void {
    this.name = name;
    this.progress = progress;
    this.startedAt = this.now();
  }

  /** Rewrite the line, unless the input is younger than an interval or the last update is (a short run shows nothing). */
  tick(): boolean {
    const t = this.now();
    if (this.progress === null || t - this.startedAt < PROGRESS_INTERVAL_MS || t - this.shownAt < PROGRESS_INTERVAL_MS) return false;
    this.shownAt = t;
    const width = Math.max(20, (this.term.columns || 80) - 1); // a terminal of unknown width (0) is taken as 80
    const text = progressText(this.name, this.progress, t - this.startedAt);
    this.term.write(`\r${text.length > width ? text.slice(0, width) : text}\x1b[K`);
    this.shown = true;
    return true;
  }

  /** Erase the line (before the report, a warning or an error is written). */
  clear(): void {
    if (!this.shown) return;
    this.term.write('\r\x1b[K');
    this.shown = false;
  }
}
