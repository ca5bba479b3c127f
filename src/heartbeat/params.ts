// The knobs of the five-miss model. Defaults are the MDS ones: a heartbeat
// every 100 ms, a 100 ms receive timeout, corrective action after five
// consecutive misses.

export interface DetectorParams {
  /** Nominal time between two heartbeats of one stream. */
  intervalMs: number;
  /** How long the receiver waits after a heartbeat before it counts the first miss. */
  timeoutMs: number;
  /** Consecutive misses at which the receiver fails over. */
  threshold: number;
  /** Slack on every deadline, for jitter between the capture point and the receiver. */
  graceMs: number;
  /** How long a late heartbeat may still fill a sequence gap before the gap counts as loss. */
  reorderWindowMs: number;
  /** How long after a failover a TCP reset between the two hosts is taken as its consequence. */
  resetWindowMs: number;
}

export const DEFAULT_DETECTOR_PARAMS: Readonly<DetectorParams> = {
  intervalMs: 100,
  timeoutMs: 100,
  threshold: 5,
  graceMs: 50,
  reorderWindowMs: 1000,
  resetWindowMs: 2000,
};

/** Fill unset parameters; grace defaults to half of whatever the interval is. */
export function detectorParams(p: Partial<DetectorParams> = {}): DetectorParams {
  const intervalMs = p.intervalMs ?? DEFAULT_DETECTOR_PARAMS.intervalMs;
  return {
    ...DEFAULT_DETECTOR_PARAMS,
    timeoutMs: intervalMs,
    graceMs: intervalMs / 2,
    ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)),
    intervalMs,
  };
}

/**
 * Misses counted after `elapsedMs` of silence: the k-th deadline falls at
 * timeout + (k-1) × interval after the last heartbeat, and counts once its
 * grace has also passed.
 */
export function missesAfter(elapsedMs: number, p: DetectorParams): number {
  // Timestamps are whole microseconds: round off the float error of their difference, so
  // silence ending exactly on a deadline + grace counts the same at every epoch.
  const over = Math.round(elapsedMs * 1000) / 1000 - p.timeoutMs - p.graceMs;
  return over < 0 ? 0 : Math.floor(over / p.intervalMs) + 1;
}

/** Offset from the last heartbeat heard to the k-th missed deadline, in seconds. */
export function deadlineOffset(k: number, p: DetectorParams): number {
  return (p.timeoutMs + (k - 1) * p.intervalMs) / 1000;
}

/** Seconds rounded to the microsecond, so computed times print as captured ones do. */
export function roundUs(t: number): number {
  return Math.round(t * 1e6) / 1e6;
}
