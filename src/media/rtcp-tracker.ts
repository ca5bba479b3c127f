// What RTCP said about the streams: per reported SSRC the latest receiver
// report (fraction lost, cumulative lost, jitter) and XR VoIP Metrics, and
// the round trip seen from the capture point: an RR's LSR names the SR it
// answers; the SR was seen at tSR, the RR at tRR, and the far end held it
// DLSR, so tRR - tSR - DLSR is the time the exchange spent in the network
// beyond the capture point (the full round trip when the capture is taken
// beside the SR's sender). Tables bounded; time handed in.

import type { RtcpRecord, XrVoipMetrics } from '../../dissectors/rtcp.js';
import { BoundedMap } from '../common/bounded-map.js';

export const MAX_TRACKED = 16384;
/** SSRCs kept for spokenOf(); past this many the answer is null. */
const MAX_SPOKEN = 65536;

/** What a split file's merge checks of the RTCP one part read (src/analysis/split-parts.ts). */
export interface RtcpSpoken {
  /** Every SSRC the RTCP spoke of (SR senders, report and XR blocks), null when there were too many to keep. */
  ssrcs: number[] | null;
  /** Entries in the bounded tables, and those dropped. */
  views: number;
  srs: number;
  evicted: number;
}

export interface RtcpView {
  /** Receiver reports (RR or SR blocks) about this SSRC. */
  reports: number;
  /** From the latest block: fraction lost (%), cumulative lost, jitter in timestamp units. */
  fractionLostPercent: number;
  cumulativeLost: number;
  jitterTicks: number;
  /** The latest round trip from LSR/DLSR (ms), null when no block echoed an SR seen here. */
  rttMs: number | null;
  /** The latest XR VoIP Metrics block about this SSRC. */
  xr: XrVoipMetrics | null;
}

export interface RtcpTotals {
  datagrams: number;
  /** Datagrams holding more than one RTCP packet (compound). */
  compound: number;
  reducedSize: number;
  /** Datagrams whose walk stopped at an error (the packets before it are counted). */
  malformed: number;
  byType: { SR: number; RR: number; SDES: number; BYE: number; APP: number; XR: number; other: number };
  reportBlocks: number;
  xrVoipBlocks: number;
  /** The first few errors, as the dissector said them. */
  errors: string[];
}

const MAX_ERRORS = 5;

export class RtcpTracker {
  readonly totals: RtcpTotals = {
    datagrams: 0, compound: 0, reducedSize: 0, malformed: 0,
    byType: { SR: 0, RR: 0, SDES: 0, BYE: 0, APP: 0, XR: 0, other: 0 }, reportBlocks: 0, xrVoipBlocks: 0, errors: [],
  };
  /** "ssrc:ntpMiddle" of each SR -> when it was seen (s). */
  private readonly srSeen = new BoundedMap<string, number>(MAX_TRACKED);
  private readonly views = new BoundedMap<number, RtcpView>(MAX_TRACKED);
  private spoken: Set<number> | null = new Set();

  add(t: number, rec: RtcpRecord): void {
    const tot = this.totals;
    tot.datagrams++;
    if (rec.packets.length > 1) tot.compound++;
    if (rec.reducedSize) tot.reducedSize++;
    if (rec.error !== undefined) {
      tot.malformed++;
      if (tot.errors.length < MAX_ERRORS) tot.errors.push(rec.error);
    }
    for (const p of rec.packets) {
      tot.byType[p.type]++;
      if (p.type === 'SR') {
        this.srSeen.set(`${p.ssrc}:${p.sender.ntpMiddle}`, t);
        this.speaksOf(p.ssrc);
      }
      if (p.type === 'SR' || p.type === 'RR') {
        for (const r of p.reports) {
          tot.reportBlocks++;
          const v = this.view(r.ssrc);
          this.speaksOf(r.ssrc);
          v.reports++;
          v.fractionLostPercent = Math.round(r.fractionLost * 1e5) / 1e3;
          v.cumulativeLost = r.cumulativeLost;
          v.jitterTicks = r.jitter;
          const sr = r.lsr !== 0 ? this.srSeen.peek(`${r.ssrc}:${r.lsr}`) : undefined;
          if (sr !== undefined) v.rttMs = Math.round((t - sr - r.dlsr / 65536) * 1e6) / 1e3;
        }
      }
      if (p.type === 'XR') {
        for (const m of p.voip) {
          tot.xrVoipBlocks++;
          this.view(m.ssrc).xr = m;
          this.speaksOf(m.ssrc);
        }
      }
    }
  }

  /** The SSRCs this RTCP spoke of and the tables' fill, for a split file's merge. */
  spokenOf(): RtcpSpoken {
    return { ssrcs: this.spoken === null ? null : [...this.spoken], views: this.views.size, srs: this.srSeen.size, evicted: this.views.evicted + this.srSeen.evicted };
  }

  private speaksOf(ssrc: number): void {
    if (this.spoken === null) return;
    this.spoken.add(ssrc >>> 0);
    if (this.spoken.size > MAX_SPOKEN) this.spoken = null;
  }

  /** What RTCP reported about this SSRC, or null. */
  about(ssrc: number): RtcpView | null {
    return this.views.peek(ssrc >>> 0) ?? null;
  }

  private view(ssrc: number): RtcpView {
    let v = this.views.peek(ssrc);
    if (v === undefined) {
      v = { reports: 0, fractionLostPercent: 0, cumulativeLost: 0, jitterTicks: 0, rttMs: null, xr: null };
      this.views.set(ssrc, v);
    }
    return v;
  }
}
