// One RTP stream (an SSRC on one direction of a 5-tuple), packet by packet
// in arrival order: sequence accounting (RFC 3550 A.1: extended sequence
// numbers, wraps), duplicates and late arrivals told apart by the holes the
// numbers left (kept only when packets go missing, so the in-order packet of
// a clean stream touches no memory beyond the stream's own fields),
// arrival deltas and the interarrival jitter of RFC 3550 §6.4.1, and a fixed
// jitter buffer's late packets. Time is handed in (seconds), never read.
//
// Which packets count for the delta and jitter figures follows Wireshark's
// RTP analysis (tshark 4.0), so the two can be compared: not the first, not
// one with the marker bit (a talkspurt starts after a silence), not comfort
// noise or the packet after it. RFC 4733 events are left out of the jitter
// (their timestamp holds still over an event; the voice packet after one is
// compared with the voice packet before it), and
// a repeated end-of-event packet (same sequence number, RFC 4733 §2.5.1.4)
// is neither a duplicate nor received media twice.

import { payloadFormat, type PayloadFormat } from './codecs.js';
import type { StreamSeries } from './stream-series.js';

/** Gaps kept with their times, to set beside failovers. */
const MAX_GAPS = 32;
/** Missing sequence numbers remembered, to tell a late packet from a duplicate. */
const MAX_HOLES = 1024;

/** What SDP said of the stream: its call and the payload map of its m= line. */
export interface SdpBinding {
  callId: string;
  /** The endpoint that sent the SDP, and whether it was the offer or the answer. */
  announcedBy: string;
  offer: boolean;
  /** "addr:port" the SDP announced (the stream's destination, or its source for symmetric RTP). */
  endpoint: string;
  media: string;
  rtpmap: Readonly<Record<number, string>>;
  payloadTypes: readonly number[];
}

/** Datagrams as columns (the fast lane's UdpBatch is one); RTP fields valid where the datagram is RTP. */
export interface RtpColumns {
  readonly tsSec: Float64Array;
  readonly tsNsec: Float64Array;
  readonly src: Int32Array;
  readonly dst: Int32Array;
  readonly sport: Uint16Array;
  readonly dport: Uint16Array;
  readonly tos: Uint8Array;
  readonly rtpSeq: Uint16Array;
  readonly rtpTimestamp: Uint32Array;
  readonly rtpSsrc: Uint32Array;
  /** Marker bit << 7 | payload type. */
  readonly rtpMarkerPt: Uint8Array;
}

export interface RtpStreamIds {
  key: string;
  flow: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  ssrc: number;
}

/**
 * Where a stream keeps its times and timestamps: a double held in an object
 * field is a separate heap box, so a packet that updated a dozen of them
 * touched a dozen cache lines; in one Float64Array they sit together.
 */
const F_FIRST = 0;
const F_LAST = 1;
const F_REF_ARRIVAL = 2;
const F_JITTER_REF_ARRIVAL = 3;
const F_DELTA_MIN = 4;
const F_DELTA_MAX = 5;
const F_DELTA_SUM = 6;
const F_JITTER = 7;
const F_JITTER_MAX = 8;
const F_JITTER_SUM = 9;
const F_PLAYOUT_BASE = 10;
const F_FIRST_TS = 11;
const F_JITTER_REF_TS = 12;
const F_LAST_EVENT_TS = 13;
const F_COUNT = 14;

export class RtpStream {
  private readonly f = new Float64Array(F_COUNT);
  packets = 0;
  /** Distinct sequence numbers received (duplicates and repeated event ends not counted again). */
  unique = 0;
  duplicates = 0;
  /** Arrived after a higher sequence number (and not a duplicate): filled a hole late. */
  outOfOrder = 0;
  /** Packets whose number is not the previous packet's + 1 (Wireshark's "wrong sequence"). */
  seqErrors = 0;
  wraps = 0;
  /** The first MAX_GAPS gaps: from the packet before to the packet after (s), and the numbers missing. */
  readonly gaps: Array<{ from: number; to: number; missing: number }> = [];
  /** Gaps ahead in the numbers (runs of missing packets at the time) and the longest. */
  gapRuns = 0;
  private lastGap = 0;
  longestGap = 0;
  markers = 0;
  eventPackets = 0;
  eventRepeats = 0;
  ptChanges = 0;
  /** Payload type -> packets (the current run's not yet folded in: read them through payloadTypeCounts()). */
  private readonly ptPackets = new Map<number, number>();
  private ptRun = 0;
  /** TOS byte -> packets, the same way (dscpCounts(), ecnCounts()). */
  private readonly tosPackets = new Map<number, number>();
  private lastTos = -1;
  private tosRun = 0;
  firstSeq = 0;
  /** Packets whose RTP timestamp lay before the first packet's: left out of the timing figures. */
  tsBehindFirst = 0;
  /** Highest extended sequence number (cycles << 16 | seq) and the first one. */
  extMax = 0;
  extBase = 0;
  deltaCount = 0;
  /** Current interarrival jitter J (seconds) and the figures over the packets that count. */
  jitterCount = 0;
  /** Packets a fixed jitter buffer of the analyzer's size would have played out too late. */
  late = 0;
  /** The clock rate the jitter was computed with (the last one seen). */
  clockRate = 0;
  /** Left the table (evicted): a cache still pointing at it must not count into it. */
  gone = false;
  /** Its figures over time, when the analyzer keeps them (the HTML report's plots). */
  series: StreamSeries | null = null;
  sdp: SdpBinding | null;
  /**
   * The payload map: the receiver's SDP (what the sender must use), with the
   * sender's own offer filling what the answer left out (a UAS that answers
   * without telephone-event still gets the caller's RFC 4733 events).
   */
  rtpmap: Readonly<Record<number, string>> | null = null;

  /** Extended numbers skipped and not yet arrived, oldest first; null while none went missing. */
  private holes: Set<number> | null = null;
  /** Below this extended number holes are forgotten: a packet there cannot be told late from duplicate. */
  private holesFloor = 0;
  private lastSeq = -1;
  private lastPt = -1;
  private format: PayloadFormat;
  /** Arrival of the previous packet (s), for deltas. */
  /** Reference for the jitter: the last voice packet of known clock. */
  private hasJitterRef = false;
  private lastEventSeq = -1;
  /** Fixed jitter buffer: transit (arrival - media time) of the talkspurt's first packet. */
  private hasPlayoutBase = false;

  /** The IPv4 index's key (Ipv4StreamIndex): addresses as header bits, sport << 16 | dport; 0 for IPv6. */
  readonly src4: number;
  readonly dst4: number;
  readonly ports: number;
  readonly ssrc: number;

  constructor(readonly ids: RtpStreamIds, sdp: SdpBinding | null, private readonly jitterBufferS: number, src4 = 0, dst4 = 0) {
    this.src4 = src4 | 0;
    this.dst4 = dst4 | 0;
    this.ports = (ids.sport << 16) | ids.dport;
    this.ssrc = ids.ssrc >>> 0;
    this.sdp = sdp;
    this.format = payloadFormat(-1, null);
    this.deltaMin = Infinity;
    this.lastEventTs = -1;
  }

  get first(): number {
    return this.f[F_FIRST];
  }

  set first(v: number) {
    this.f[F_FIRST] = v;
  }

  get last(): number {
    return this.f[F_LAST];
  }

  set last(v: number) {
    this.f[F_LAST] = v;
  }

  get refArrival(): number {
    return this.f[F_REF_ARRIVAL];
  }

  set refArrival(v: number) {
    this.f[F_REF_ARRIVAL] = v;
  }

  get jitterRefArrival(): number {
    return this.f[F_JITTER_REF_ARRIVAL];
  }

  set jitterRefArrival(v: number) {
    this.f[F_JITTER_REF_ARRIVAL] = v;
  }

  get deltaMin(): number {
    return this.f[F_DELTA_MIN];
  }

  set deltaMin(v: number) {
    this.f[F_DELTA_MIN] = v;
  }

  get deltaMax(): number {
    return this.f[F_DELTA_MAX];
  }

  set deltaMax(v: number) {
    this.f[F_DELTA_MAX] = v;
  }

  get deltaSum(): number {
    return this.f[F_DELTA_SUM];
  }

  set deltaSum(v: number) {
    this.f[F_DELTA_SUM] = v;
  }

  get jitter(): number {
    return this.f[F_JITTER];
  }

  set jitter(v: number) {
    this.f[F_JITTER] = v;
  }

  get jitterMax(): number {
    return this.f[F_JITTER_MAX];
  }

  set jitterMax(v: number) {
    this.f[F_JITTER_MAX] = v;
  }

  get jitterSum(): number {
    return this.f[F_JITTER_SUM];
  }

  set jitterSum(v: number) {
    this.f[F_JITTER_SUM] = v;
  }

  get playoutBase(): number {
    return this.f[F_PLAYOUT_BASE];
  }

  set playoutBase(v: number) {
    this.f[F_PLAYOUT_BASE] = v;
  }

  get firstTs(): number {
    return this.f[F_FIRST_TS];
  }

  set firstTs(v: number) {
    this.f[F_FIRST_TS] = v;
  }

  get jitterRefTs(): number {
    return this.f[F_JITTER_REF_TS];
  }

  set jitterRefTs(v: number) {
    this.f[F_JITTER_REF_TS] = v;
  }

  get lastEventTs(): number {
    return this.f[F_LAST_EVENT_TS];
  }

  set lastEventTs(v: number) {
    this.f[F_LAST_EVENT_TS] = v;
  }

  /**
   * Packet i of the columns: its arrival time, RTP header fields and IP TOS
   * byte. Read from the columns, not passed as numbers: a timestamp or an
   * RTP timestamp past 2^30 is boxed on every call that is not inlined.
   */
  add(c: RtpColumns, i: number): void {
    this.take(c, i);
    if (this.series !== null) this.series.record(c.tsSec[i] + c.tsNsec[i] / 1e9, this);
  }

  private take(c: RtpColumns, i: number): void {
    const t = c.tsSec[i] + c.tsNsec[i] / 1e9;
    const seq = c.rtpSeq[i];
    const ts = c.rtpTimestamp[i];
    const mpt = c.rtpMarkerPt[i];
    const pt = mpt & 0x7f;
    const marker = mpt >= 0x80;
    const tos = c.tos[i];
    const first = this.packets === 0;
    this.packets++;
    // Marking and payload type rarely change within a stream: counted in a run, folded in on change.
    if (tos === this.lastTos) this.tosRun++;
    else this.tosChanged(tos);
    if (marker) this.markers++;
    const prevPt = this.lastPt;
    if (pt === prevPt) this.ptRun++;
    else this.ptChanged(pt, first);
    const fmt = this.format;
    if (first) {
      this.first = t;
      this.last = t;
      this.firstSeq = seq;
      this.firstTs = ts;
      this.extBase = seq;
      this.extMax = seq;
      this.holesFloor = seq;
      this.unique = 1;
      this.lastSeq = seq;
      this.refArrival = t;
      if (fmt.event) this.event(seq, ts);
      else this.startJitter(t, ts, fmt);
      return;
    }
    if (t > this.last) this.last = t;
    if (seq !== ((this.lastSeq + 1) & 0xffff)) this.seqErrors++;
    this.lastSeq = seq;
    const repeatedEnd = fmt.event && seq === this.lastEventSeq && ts === this.lastEventTs;
    if (fmt.event) {
      this.eventPackets++;
      this.lastEventSeq = seq;
      this.lastEventTs = ts;
    }
    if (repeatedEnd) this.eventRepeats++;
    else {
      const runs = this.gapRuns;
      this.sequence(seq);
      if (this.gapRuns !== runs && this.gaps.length < MAX_GAPS) this.gaps.push({ from: this.refArrival, to: t, missing: this.lastGap });
    }

    // Timing, against the previous packet in arrival order (RFC 3550 §6.4.1: "not necessarily in sequence").
    // A timestamp before the stream's first (a sender that reset its clock) is no
    // measure of the network: such a packet neither counts nor becomes the reference (as tshark).
    if (((ts - this.firstTs) | 0) < 0) {
      this.tsBehindFirst++;
      return;
    }
    const delta = t - this.refArrival;
    const regular = !marker && !fmt.comfortNoise && !(prevPt === 13 || prevPt === 19);
    if (regular) {
      if (delta < this.deltaMin) this.deltaMin = delta;
      if (delta > this.deltaMax) this.deltaMax = delta;
      this.deltaSum += delta;
      this.deltaCount++;
    }
    this.refArrival = t;
    if (fmt.event) return;
    if (!this.hasJitterRef) {
      this.startJitter(t, ts, fmt);
      return;
    }
    // A payload type of unknown clock (RED, a vendor's fax-tone events) moves the
    // arrival reference but not the timestamp one, as tshark 4.0 does: the figures
    // then agree with it to the microsecond on the corpus captures that have them.
    if (fmt.clockRate === 0) {
      this.jitterRefArrival = t;
      return;
    }
    // D = (Rj - Ri) - (Sj - Si), J += (|D| - J) / 16; the timestamp difference is signed (a late packet's is negative).
    const tsDelta = (ts - this.jitterRefTs) | 0;
    const dTransit = t - this.jitterRefArrival - tsDelta * fmt.secondsPerTick;
    this.jitter += (Math.abs(dTransit) - this.jitter) * 0.0625;
    this.jitterRefArrival = t;
    this.jitterRefTs = ts;
    this.clockRate = fmt.clockRate;
    if (regular) {
      if (this.jitter > this.jitterMax) this.jitterMax = this.jitter;
      this.jitterSum += this.jitter;
      this.jitterCount++;
    }
    this.playout(t, ts, fmt.clockRate, marker, tsDelta);
  }

  /** Payload type -> packets. */
  payloadTypeCounts(): Map<number, number> {
    this.foldPt();
    return this.ptPackets;
  }

  /** DSCP value -> packets, in first-seen order. */
  dscpCounts(): Map<number, number> {
    this.foldTos();
    const out = new Map<number, number>();
    for (const [tos, n] of this.tosPackets) out.set(tos >> 2, (out.get(tos >> 2) ?? 0) + n);
    return out;
  }

  /** Packets by ECN codepoint 0..3: Not-ECT, ECT(1), ECT(0), CE. */
  ecnCounts(): number[] {
    this.foldTos();
    const out = [0, 0, 0, 0];
    for (const [tos, n] of this.tosPackets) out[tos & 3] += n;
    return out;
  }

  private tosChanged(tos: number): void {
    this.foldTos();
    this.lastTos = tos;
    this.tosRun = 1;
  }

  private foldTos(): void {
    if (this.tosRun === 0) return;
    this.tosPackets.set(this.lastTos, (this.tosPackets.get(this.lastTos) ?? 0) + this.tosRun);
    this.tosRun = 0;
  }

  private ptChanged(pt: number, first: boolean): void {
    this.foldPt();
    if (!first) this.ptChanges++;
    this.format = payloadFormat(pt, this.rtpmap);
    this.lastPt = pt;
    this.ptRun = 1;
  }

  private foldPt(): void {
    if (this.ptRun === 0) return;
    this.ptPackets.set(this.lastPt, (this.ptPackets.get(this.lastPt) ?? 0) + this.ptRun);
    this.ptRun = 0;
  }

  /** Expected packets from the first sequence number to the highest (RFC 3550 A.3). */
  get expected(): number {
    return this.extMax - this.extBase + 1;
  }

  /** Missing from the numbers received: never negative (duplicates are counted apart, not as received). */
  get lost(): number {
    return Math.max(0, this.expected - this.unique);
  }

  get lastSeqNumber(): number {
    return this.extMax & 0xffff;
  }

  get payloadName(): string {
    return this.format.name;
  }

  private startJitter(t: number, ts: number, fmt: PayloadFormat): void {
    if (fmt.event) return;
    this.hasJitterRef = true;
    this.jitterRefArrival = t;
    this.jitterRefTs = ts;
    if (fmt.clockRate === 0) return;
    this.clockRate = fmt.clockRate;
    this.playoutBase = t - ts / fmt.clockRate;
    this.hasPlayoutBase = true;
  }

  /**
   * A fixed jitter buffer plays each packet at the talkspurt's first
   * packet's arrival + the buffer size + its media time since then: a packet
   * arriving after that is late, lost to the listener though not to the
   * network. A marker bit or a timestamp jump starts a new talkspurt.
   */
  private playout(t: number, ts: number, clockRate: number, marker: boolean, tsDelta: number): void {
    const transit = t - ts / clockRate;
    if (!this.hasPlayoutBase || marker || tsDelta / clockRate > 1) {
      this.playoutBase = transit;
      this.hasPlayoutBase = true;
      return;
    }
    // Media time wraps with the 32-bit timestamp: rebase when the transit moves by more than a wrap's worth.
    if (Math.abs(transit - this.playoutBase) > 2 ** 31 / clockRate) {
      this.playoutBase = transit;
      return;
    }
    if (transit - this.playoutBase > this.jitterBufferS) this.late++;
    else if (transit < this.playoutBase) this.playoutBase = transit;
  }

  private event(seq: number, ts: number): void {
    this.eventPackets++;
    this.lastEventSeq = seq;
    this.lastEventTs = ts;
  }

  /** Extended sequence number accounting for a packet after the first. */
  private sequence(seq: number): void {
    const maxSeq = this.extMax & 0xffff;
    const ahead = (seq - maxSeq) & 0xffff;
    if (ahead === 1) {
      this.extMax++;
      this.unique++;
      if (seq === 0) this.wraps++;
      return;
    }
    if (ahead === 0) {
      this.duplicates++;
      return;
    }
    if (ahead < 0x8000) {
      // Ahead of the highest: the numbers missed in between are a gap (they may still come late).
      if (seq < maxSeq) this.wraps++;
      const gap = ahead - 1;
      this.lastGap = gap;
      this.gapRuns++;
      if (gap > this.longestGap) this.longestGap = gap;
      this.addHoles(this.extMax + 1, this.extMax + ahead);
      this.extMax += ahead;
      this.unique++;
      return;
    }
    // Behind the highest: a late arrival if it fills a hole, else a duplicate.
    const ext = this.extMax - (0x10000 - ahead);
    if (ext < this.extBase) {
      // Before the first number seen: the stream started earlier than we thought.
      this.extBase = ext;
      this.outOfOrder++;
      this.unique++;
      return;
    }
    if (ext < this.holesFloor) {
      this.outOfOrder++;
      this.unique++;
      return;
    }
    if (this.holes !== null && this.holes.delete(ext)) {
      this.outOfOrder++;
      this.unique++;
    } else this.duplicates++;
  }

  /** Numbers from..to-1 went missing; past MAX_HOLES the oldest are forgotten. */
  private addHoles(from: number, to: number): void {
    const holes = (this.holes ??= new Set<number>());
    const start = Math.max(from, to - MAX_HOLES);
    if (start > from) {
      holes.clear();
      this.holesFloor = start;
    }
    for (let e = start; e < to; e++) holes.add(e);
    if (holes.size > MAX_HOLES) {
      for (const e of holes) {
        holes.delete(e);
        this.holesFloor = e + 1;
        if (holes.size <= MAX_HOLES) break;
      }
    }
  }
}
