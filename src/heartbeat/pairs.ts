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

/** The streams from one host to another: by their ports, and in order with the first not yet paired. */
interface HostStreams {
  byPorts: Map<string, StreamReport>;
  list: StreamReport[];
  /** Every stream before this one is paired. */
  cursor: number;
}

/**
 * Pair each stream with its exact reverse (ports swapped), else with the
 * first unpaired reverse between the same hosts. Streams are looked up by
 * their hosts and ports and resets counted per pair of hosts once, so
 * thousands of streams between the same two hosts pair in linear time.
 */
export function pairStreams(streams: StreamReport[], events: HeartbeatEvent[]): PairReport[] {
  const byHosts = new Map<string, HostStreams>();
  for (const s of streams) {
    const k = `${s.src}>${s.dst}`;
    const h: HostStreams = byHosts.get(k) ?? { byPorts: new Map(), list: [], cursor: 0 };
    h.byPorts.set(`${s.sport}>${s.dport}`, s);
    h.list.push(s);
    byHosts.set(k, h);
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
    const r = reverseOf(s, byHosts.get(`${s.dst}>${s.src}`), paired);
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

function reverseOf(s: StreamReport, h: HostStreams | undefined, paired: ReadonlySet<StreamReport>): StreamReport | null {
  if (!h) return null;
  const exact = h.byPorts.get(`${s.dport}>${s.sport}`);
  if (exact && !paired.has(exact)) return exact;
  while (h.cursor < h.list.length && paired.has(h.list[h.cursor])) h.cursor++;
  return h.list[h.cursor] ?? null;
}
