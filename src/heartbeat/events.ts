// What the heartbeat analysis reports, in time order. Times are epoch
// seconds; a stream is named by its flow key ("src:sport>dst:dport").

/** A run of consecutive missed heartbeats on one stream. */
export interface LossEvent {
  type: 'loss';
  /** The first missed deadline. */
  time: number;
  stream: string;
  afterSeq: number;
  /** The heartbeat that ended the run; null when the stream was still silent at the end. */
  nextSeq: number | null;
  /** Sequence numbers never received (late arrivals subtracted); null for a run open at the end. */
  lost: number | null;
  /** Consecutive deadlines missed: the larger of `lost` and what the silence alone accounts for. */
  misses: number;
  lastHeard: number;
  resumed: number | null;
  /** The receiver itself dropped datagrams during this run (its queue overflowed): not proof of loss on the wire. */
  blind?: true;
}

export interface ResetLink {
  time: number;
  delayMs: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
}

/** The receiver of a stream reached the miss threshold. */
export interface FailoverEvent {
  type: 'failover';
  /** The threshold-th missed deadline. */
  time: number;
  stream: string;
  /** The receiver: the side that notices and resets. */
  noticedBy: string;
  peer: string;
  lastHeard: number;
  lastSeq: number;
  /** The first TCP reset between the two hosts that followed, if any was seen. */
  reset: ResetLink | null;
}

/** The first heartbeat after a failover. */
export interface RecoveryEvent {
  type: 'recovery';
  time: number;
  stream: string;
  seq: number;
  /** From the failover to this heartbeat; 0 when only the sequence numbers proved the run (no silence). */
  downMs: number;
}

/** The sender's counter fell back (it was cycled) or jumped. */
export interface RestartEvent {
  type: 'restart';
  time: number;
  stream: string;
  fromSeq: number;
  toSeq: number;
  /** False when the counter jumped to a value far from 0: not a clean restart. */
  nearZero: boolean;
}

/** A TCP reset between two heartbeat peers. */
export interface ResetEvent {
  type: 'reset' | 'unexplained-reset';
  time: number;
  /** The stream whose failover this reset follows; null when none precedes it. */
  stream: string | null;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  failoverTime: number | null;
  delayMs: number | null;
}

/**
 * A stream went silent past the failover deadline while the receiver itself
 * was dropping datagrams (its socket queue overflowed, typically while the
 * process was stalled): whether the heartbeats were sent cannot be known, so
 * no failover is claimed.
 */
export interface MonitorStalledEvent {
  type: 'monitor-stalled';
  /** The deadline a failover would have had. */
  time: number;
  stream: string;
  lastHeard: number;
  lastSeq: number;
  /** The span in which the receiver dropped datagrams, and how many it dropped. */
  blindFrom: number;
  blindTo: number;
  drops: number;
}

export type HeartbeatEvent = LossEvent | FailoverEvent | RecoveryEvent | RestartEvent | ResetEvent | MonitorStalledEvent;
export type HeartbeatEventType = HeartbeatEvent['type'];

const TYPE_ORDER: Record<HeartbeatEventType, number> = { restart: 0, loss: 1, failover: 2, 'monitor-stalled': 2, reset: 3, 'unexplained-reset': 3, recovery: 4 };

/** Time order; at equal times, cause before consequence. */
export function compareEvents(a: HeartbeatEvent, b: HeartbeatEvent): number {
  return a.time - b.time || TYPE_ORDER[a.type] - TYPE_ORDER[b.type] || (a.stream ?? '').localeCompare(b.stream ?? '');
}
