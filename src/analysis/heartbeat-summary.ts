// Per heartbeat stream (one direction, source -> destination): sequence
// range, received and lost counts. The failover model builds on this.

import type { ByteOrder, PacketRecord } from '../../dissectors/types.js';
import { flowKey } from '../pipeline/flow-key.js';

/** A fall back to a value this small is the sender restarting, not a wrap or reorder. */
const RESTART_MAX_SEQ = 16;
/** Gaps wider than this are not losses at 10 heartbeats/s but a counter that jumped. */
const MAX_PLAUSIBLE_GAP = 100_000;

export interface HeartbeatStreamSummary {
  stream: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  byteOrder: ByteOrder;
  firstSeq: number;
  lastSeq: number;
  received: number;
  lost: number;
  duplicates: number;
  restarts: number;
  firstTime: number;
  lastTime: number;
}

export class HeartbeatSummarizer {
  private readonly streams = new Map<string, HeartbeatStreamSummary>();

  readonly add = (rec: PacketRecord): void => {
    if (rec.app !== 'mds-heartbeat' || !rec.hb || !rec.ip) return;
    const key = flowKey(rec);
    const t = rec.tsSec + rec.tsNsec / 1e9;
    const seq = rec.hb.seq;
    const s = this.streams.get(key);
    if (!s) {
      this.streams.set(key, {
        stream: key, src: rec.ip.src, dst: rec.ip.dst, sport: rec.sport, dport: rec.dport, byteOrder: rec.hb.byteOrder,
        firstSeq: seq, lastSeq: seq, received: 1, lost: 0, duplicates: 0, restarts: 0, firstTime: t, lastTime: t,
      });
      return;
    }
    s.received++;
    s.byteOrder = rec.hb.byteOrder;
    s.lastTime = t;
    const step = (seq - s.lastSeq) >>> 0; // modulo 2^32: a wrap is continuity
    if (step === 0) s.duplicates++;
    else if (step <= MAX_PLAUSIBLE_GAP) s.lost += step - 1;
    else if (seq <= RESTART_MAX_SEQ) s.restarts++;
    // else: an old datagram arriving late; counted as loss already, leave it
    if (step !== 0 && (step <= MAX_PLAUSIBLE_GAP || seq <= RESTART_MAX_SEQ)) s.lastSeq = seq;
  };

  summaries(): HeartbeatStreamSummary[] {
    return [...this.streams.values()].sort((a, b) => a.firstTime - b.firstTime || a.stream.localeCompare(b.stream));
  }
}
