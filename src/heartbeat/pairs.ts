// The two directions between the same two hosts, side by side: loss in one
// direction only is the usual sign of a one-way network fault.

import type { StreamReport } from './detector.js';
import type { HeartbeatEvent } from './events.js';
import { pairKeyOf } from '../pipeline/flow-key.js';

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

/**
 * Pair each stream with its exact reverse (ports swapped), else with any
 * reverse between the same hosts. Streams are looked up by their hosts and
 * resets counted per pair of hosts once, so thousands of streams pair in
 * linear time.
 */
export function pairStreams(streams: StreamReport[], events: HeartbeatEvent[]): PairReport[] {
  const byHosts = new Map<string, StreamReport[]>();
  for (const s of streams) {
    const k = `${s.src}>${s.dst}`;
    const list = byHosts.get(k);
    if (list) list.push(s);
    else byHosts.set(k, [s]);
  }
  const resets = new Map<string, { reset: number; unexplained: number }>();
  for (const e of events) {
    if (e.type !== 'reset' && e.type !== 'unexplained-reset') continue;
    const k = pairKeyOf(e.src, e.dst);
    const n = resets.get(k) ?? { reset: 0, unexplained: 0 };
    if (e.type === 'reset') n.reset++;
    else n.unexplained++;
    resets.set(k, n);
  }
  const paired = new Set<StreamReport>();
  const pairs: PairReport[] = [];
  for (const s of streams) {
    if (paired.has(s)) continue;
    paired.add(s);
    const reverse = (byHosts.get(`${s.dst}>${s.src}`) ?? []).filter((o) => !paired.has(o));
    const r = reverse.find((o) => o.sport === s.dport && o.dport === s.sport) ?? reverse[0] ?? null;
    if (r) paired.add(r);
    const aToB = direction(s);
    const bToA = r ? direction(r) : null;
    const n = resets.get(pairKeyOf(s.src, s.dst));
    const lossA = missed(aToB);
    const lossB = missed(bToA);
    pairs.push({
      a: s.src, b: s.dst, aToB, bToA,
      resets: n?.reset ?? 0,
      unexplainedResets: n?.unexplained ?? 0,
      asymmetric: bToA !== null && lossA !== lossB,
      lossIn: lossA && lossB ? 'both' : lossA ? 'a->b' : lossB ? 'b->a' : 'none',
    });
  }
  return pairs;
}
