// Two vantage points on the same heartbeat streams (`analyze a.pcap b.pcap
// --correlate`): one capture near each host. Matching sequence numbers tells,
// per direction, what was lost on the wire (seen near the sender, not near the
// receiver) from what was never sent (seen in neither), and gives the one-way
// delay once the clock offset between the captures is estimated from the two
// directions of a pair (NTP's reasoning: equal path delay both ways).

import type { PacketRecord } from '../../dissectors/types.js';
import { endpoint, flowKey } from '../pipeline/flow-key.js';
import { SeqTimeline, type SeqRun } from './seq-timeline.js';
import { quantile } from '../common/quantile.js';

/** Delay samples kept per stream for the quantiles. */
const MAX_SAMPLES = 65_536;
/** Two runs are the same sender epoch when a shared number was seen this close in time. */
const SAME_EPOCH_S = 60;

interface Identity {
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

/** Collects one capture's heartbeat timelines; a pipeline consumer. */
export class VantageCollector {
  readonly streams = new Map<string, { id: Identity; timeline: SeqTimeline }>();

  constructor(readonly file: string) {}

  readonly add = (rec: PacketRecord): void => {
    if (rec.app !== 'mds-heartbeat' || !rec.hb || !rec.ip) return;
    const key = flowKey(rec);
    let s = this.streams.get(key);
    if (!s) {
      s = { id: { src: rec.ip.src, dst: rec.ip.dst, sport: rec.sport, dport: rec.dport }, timeline: new SeqTimeline() };
      this.streams.set(key, s);
    }
    s.timeline.add(rec.hb.seq, rec.tsSec + rec.tsNsec / 1e9, rec.ip.ttl);
  };
}

export interface DelayStats {
  min: number;
  p50: number;
  p99: number;
  max: number;
}

export interface CorrelatedStream extends Identity {
  stream: string;
  /** The capture nearer the sender, and how that was decided. */
  senderFile: string | null;
  receiverFile: string | null;
  decidedBy: 'ttl' | 'delay' | 'loss' | null;
  /** Sequence numbers both captures cover (same sender epoch). */
  compared: number;
  /** Seen near the sender and near the receiver. */
  matched: number;
  /** Seen near the sender only: lost on the wire. */
  lostOnWire: number;
  /** Seen in neither capture: never sent (or lost before the sender's capture point). */
  neverSent: number;
  /** Seen near the receiver only: the sender-side capture missed it. */
  missedBySenderCapture: number;
  /** Receiver minus sender capture time, with the clock offset removed when it is known; ms. */
  delayMs: DelayStats | null;
  /** Whether `delayMs` is corrected for the clock offset (otherwise it includes it). */
  offsetCorrected: boolean;
}

export interface Correlation {
  files: [string, string];
  /** Second capture's clock minus the first's, from the pairs seen both ways; null with no such pair. */
  clockOffsetMs: number | null;
  streams: CorrelatedStream[];
  /** Streams seen in one capture only. */
  onlyIn: Array<{ stream: string; file: string }>;
}

/** Raw comparison of one stream: A and B are the two captures in command-line order. */
interface Compared {
  onlyA: number;
  onlyB: number;
  neither: number;
  matched: number;
  /** tB - tA per matched heartbeat, seconds; a bounded sample. */
  d: number[];
}

function compare(a: SeqTimeline, b: SeqTimeline): Compared {
  const c: Compared = { onlyA: 0, onlyB: 0, neither: 0, matched: 0, d: [] };
  let seen = 0;
  for (const rb of b.runs) {
    const ra = sameEpoch(a.runs, rb);
    if (!ra) continue;
    // Only the numbers both runs cover: where one capture started late or ended early is not loss.
    const lo = Math.max(0, (ra.firstSeq - rb.firstSeq) | 0);
    const hi = Math.min(rb.length - 1, ((ra.lastSeq - rb.firstSeq) | 0));
    for (let i = lo; i <= hi; i++) {
      const tb = rb.timeAt(i);
      const ta = ra.timeAt(ra.indexOf((rb.firstSeq + i) >>> 0));
      const inA = !Number.isNaN(ta);
      const inB = !Number.isNaN(tb);
      if (inA && inB) {
        c.matched++;
        // Reservoir sampling with a fixed stride keeps it deterministic and bounded.
        if (c.d.length < MAX_SAMPLES) c.d.push(tb - ta);
        else if (++seen % 2 === 0) c.d[(seen >>> 1) % MAX_SAMPLES] = tb - ta;
      } else if (inA) c.onlyA++;
      else if (inB) c.onlyB++;
      else c.neither++;
    }
  }
  return c;
}

/** The run of `runs` from the same sender epoch as `rb`: sharing a number seen at about the same time. */
function sameEpoch(runs: SeqRun[], rb: SeqRun): SeqRun | null {
  let best: SeqRun | null = null;
  let bestGap = SAME_EPOCH_S;
  for (const ra of runs) {
    for (let i = 0; i < rb.length; i++) {
      const tb = rb.timeAt(i);
      if (Number.isNaN(tb)) continue;
      const j = ra.indexOf((rb.firstSeq + i) >>> 0);
      if (j === -1) continue;
      const ta = ra.timeAt(j);
      if (Number.isNaN(ta)) continue;
      if (Math.abs(tb - ta) < bestGap) {
        bestGap = Math.abs(tb - ta);
        best = ra;
      }
      break;
    }
  }
  return best;
}

const ms3 = (s: number): number => Math.round(s * 1e6) / 1000;

function stats(samples: number[]): DelayStats | null {
  if (samples.length === 0) return null;
  const s = [...samples].sort((x, y) => x - y);
  return { min: ms3(s[0]), p50: ms3(quantile(s, 0.5)), p99: ms3(quantile(s, 0.99)), max: ms3(s[s.length - 1]) };
}

function median(xs: number[]): number {
  return quantile([...xs].sort((x, y) => x - y), 0.5);
}

export function correlate(a: VantageCollector, b: VantageCollector): Correlation {
  const onlyIn: Correlation['onlyIn'] = [];
  const compared = new Map<string, { id: Identity; c: Compared; ttlA: number; ttlB: number }>();
  for (const [key, sa] of a.streams) {
    const sb = b.streams.get(key);
    if (!sb) onlyIn.push({ stream: key, file: a.file });
    else compared.set(key, { id: sa.id, c: compare(sa.timeline, sb.timeline), ttlA: sa.timeline.ttl, ttlB: sb.timeline.ttl });
  }
  for (const key of b.streams.keys()) if (!a.streams.has(key)) onlyIn.push({ stream: key, file: b.file });

  // Which capture is near each stream's sender: TTL first, then the two directions' delays, then loss.
  const senderIsA = new Map<string, { yes: boolean; by: CorrelatedStream['decidedBy'] }>();
  const reverseKey = (id: Identity): string => `${endpoint(id.dst, id.dport)}>${endpoint(id.src, id.sport)}`;
  const offsets: number[] = [];
  for (const [key, x] of compared) {
    if (x.ttlA !== x.ttlB) senderIsA.set(key, { yes: x.ttlA > x.ttlB, by: 'ttl' });
  }
  for (const [key, x] of compared) {
    const y = compared.get(reverseKey(x.id));
    if (!y || x.c.d.length === 0 || y.c.d.length === 0) continue;
    const mx = median(x.c.d);
    const my = median(y.c.d);
    if (!senderIsA.has(key) && mx !== my) senderIsA.set(key, { yes: mx > my, by: 'delay' });
    // Offset from the pair, counted once (from the direction sent near A).
    const xFromA = senderIsA.get(key)?.yes;
    if (xFromA) offsets.push((x.c.d.reduce((m, v) => Math.min(m, v)) + y.c.d.reduce((m, v) => Math.max(m, v))) / 2);
  }
  for (const [key, x] of compared) {
    if (senderIsA.has(key) || x.c.onlyA === x.c.onlyB) continue;
    senderIsA.set(key, { yes: x.c.onlyA > x.c.onlyB, by: 'loss' });
  }
  const offset = offsets.length ? median(offsets) : null;

  const streams: CorrelatedStream[] = [];
  for (const [key, x] of compared) {
    const who = senderIsA.get(key);
    const aSends = who?.yes ?? true;
    const c = x.c;
    // Delay as receiver minus sender; the offset is B's clock minus A's.
    const delays = c.d.map((d) => (aSends ? d - (offset ?? 0) : -d + (offset ?? 0)));
    streams.push({
      stream: key,
      ...x.id,
      senderFile: who ? (aSends ? a.file : b.file) : null,
      receiverFile: who ? (aSends ? b.file : a.file) : null,
      decidedBy: who?.by ?? null,
      compared: c.matched + c.onlyA + c.onlyB + c.neither,
      matched: c.matched,
      lostOnWire: aSends ? c.onlyA : c.onlyB,
      neverSent: c.neither,
      missedBySenderCapture: aSends ? c.onlyB : c.onlyA,
      delayMs: stats(delays),
      offsetCorrected: offset !== null,
    });
  }
  streams.sort((p, q) => p.stream.localeCompare(q.stream));
  return { files: [a.file, b.file], clockOffsetMs: offset === null ? null : ms3(offset), streams, onlyIn };
}
