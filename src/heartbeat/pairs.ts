// The two directions between the same two hosts, side by side: loss in one
// direction only is the usual sign of a one-way network fault.

import type { StreamReport } from './detector.js';
import type { HeartbeatEvent } from './events.js';

export interface PairDirection {
  stream: string;
  received: number;
  lost: number;
  longestMissRun: number;
  /** Failovers declared by this direction's receiver. */
  failovers: number;
}

export interface PairReport {
  /** The host whose stream was seen first. */
  a: string;
  b: string;
  aToB: PairDirection | null;
  bToA: PairDirection | null;
  resets: number;
  unexplainedResets: number;
  /** Both directions seen and only one of them missed heartbeats. */
  asymmetric: boolean;
  /** Which directions missed heartbeats. */
  lossIn: 'none' | 'a->b' | 'b->a' | 'both';
}

function direction(s: StreamReport): PairDirection {
  return { stream: s.key, received: s.received, lost: s.lost, longestMissRun: s.longestMissRun, failovers: s.failovers };
}

const missed = (d: PairDirection | null): boolean => d !== null && (d.lost > 0 || d.longestMissRun > 0);

/** Pair each stream with its exact reverse (ports swapped), else with any reverse between the same hosts. */
export function pairStreams(streams: StreamReport[], events: HeartbeatEvent[]): PairReport[] {
  const unpaired = new Set(streams);
  const pairs: PairReport[] = [];
  for (const s of streams) {
    if (!unpaired.has(s)) continue;
    unpaired.delete(s);
    const reverse = [...unpaired].filter((o) => o.src === s.dst && o.dst === s.src);
    const r = reverse.find((o) => o.sport === s.dport && o.dport === s.sport) ?? reverse[0] ?? null;
    if (r) unpaired.delete(r);
    const aToB = direction(s);
    const bToA = r ? direction(r) : null;
    const between = (e: HeartbeatEvent): boolean =>
      (e.type === 'reset' || e.type === 'unexplained-reset') && ((e.src === s.src && e.dst === s.dst) || (e.src === s.dst && e.dst === s.src));
    const mine = events.filter(between);
    const lossA = missed(aToB);
    const lossB = missed(bToA);
    pairs.push({
      a: s.src, b: s.dst, aToB, bToA,
      resets: mine.filter((e) => e.type === 'reset').length,
      unexplainedResets: mine.filter((e) => e.type === 'unexplained-reset').length,
      asymmetric: bToA !== null && lossA !== lossB,
      lossIn: lossA && lossB ? 'both' : lossA ? 'a->b' : lossB ? 'b->a' : 'none',
    });
  }
  return pairs;
}
