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

import { sparseRecord } from '../common/sparse-record.js';
import { payloadFormat, type PayloadFormat, type Rtpmap } from './codecs.js';
import type { StreamSeries } from './stream-series.js';

/** Gaps kept with their times, to set beside failovers. */
const MAX_GAPS = 32;
/** Missing sequence numbers remembered per stream, to tell a late packet from a duplicate (those forgotten are counted). */
export const MAX_HOLES = 1024;

/**
 * What a stream keeps of the SDP that announced it, as its report gives it:
 * not the announcement, which holds the parsed media line (its payload map,
 * its texts) for as long as the stream is listed, where the SDP endpoint
 * table lets it go at the endpoint's next announcement. Never changed once made.
 */
export interface StreamSdp {
  readonly announcedBy: string;
  readonly endpoint: string;
  readonly offer: boolean;
  readonly media: string;
  /** The m= line's payload types by name (shared by the streams whose SDP lists the same). */
  readonly codecs: readonly string[];
}

/** The SDP of a stream: its call, and the SDP as the report gives it. */
export interface SdpBinding {
  readonly callId: string;
  readonly sdp: StreamSdp;
}

/** Datagrams as columns (the pipeline's lane, UdpBatch, is one); RTP fields valid where the datagram is RTP. */
export interface RtpColumns {
  readonly tsSec: Float64Array;
  readonly tsNsec: Float64Array;
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

// The streams' per-packet state sits in two typed arrays, a row per stream
// (a slot): the fields a packet of a clean stream reads and writes are the
// first cells of the row, so a packet touches three cache lines of state
// found from the flow id by index arithmetic, where an object per stream
// (its fields, its boxed doubles, its payload format) took a chain of
// dependent loads across a dozen. Rows, not a column per field: a column per
// field would put each of a packet's twenty fields on a line of its own.
// The RtpStream object holds what is reported and rarely changes: the
// stream's names, SDP, gaps, the run counts of its payload types and DSCP.

/**
 * Integer cells of a row (bytes 0-63: what an in-order packet touches, with
 * the doubles' bytes 64-151 after them; bytes 168-255: counters of events).
 */
const I_FLOW = 0;
/** The flow id's generation when the row was bound to it (the flow table reuses ids). */
const I_FLOW_GEN = 1;
/** SSRC | 0 (the lane's column is compared the same way). */
const I_SSRC = 2;
const I_PACKETS = 3;
/** The previous packet's TOS byte << 8 | payload type (-1 before the first): one compare finds both unchanged. */
const I_LAST_TP = 4;
const I_LAST_SEQ = 5;
/** Highest extended sequence number (cycles << 16 | seq). */
const I_EXT_MAX = 6;
/** Distinct sequence numbers received (duplicates and repeated event ends not counted again). */
const I_UNIQUE = 7;
/** RTP timestamps as int32 (ts | 0): they are only ever subtracted and wrapped with | 0. */
const I_FIRST_TS = 8;
const I_JITTER_REF_TS = 9;
const I_DELTA_COUNT = 10;
const I_JITTER_COUNT = 11;
/** The clock rate the jitter was computed with (the last one seen). */
const I_CLOCK_RATE = 12;
/** FLAG_*: the payload type's kind and which references are set. */
const I_FLAGS = 13;
/** The current payload type's clock rate (0: unknown). */
const I_FMT_CLOCK = 14;
const I_LATE = 15;
const I_SEQ_ERRORS = 42;
const I_MARKERS = 43;
const I_DUPLICATES = 44;
const I_OUT_OF_ORDER = 45;
const I_WRAPS = 46;
const I_GAP_RUNS = 47;
const I_LONGEST_GAP = 48;
const I_EVENT_PACKETS = 49;
const I_EVENT_REPEATS = 50;
const I_PT_CHANGES = 51;
const I_TS_BEHIND_FIRST = 52;
const I_EXT_BASE = 53;
const I_FIRST_SEQ = 54;
const I_LAST_EVENT_SEQ = 55;
const INT_STRIDE = 64;

/** Double cells of a row (after the 16 hot ints): times (s), and the current payload type's 1 / clock rate. */
const D_LAST = 8;
const D_REF_ARRIVAL = 9;
const D_JITTER_REF_ARRIVAL = 10;
const D_DELTA_MIN = 11;
const D_DELTA_MAX = 12;
const D_DELTA_SUM = 13;
/** Current interarrival jitter J (s), and its max and sum over the packets that count. */
const D_JITTER = 14;
const D_JITTER_MAX = 15;
const D_JITTER_SUM = 16;
/** Fixed jitter buffer: transit (arrival - media time) of the talkspurt's first packet. */
const D_PLAYOUT_BASE = 17;
const D_SECONDS_PER_TICK = 18;
const D_FIRST = 19;
const D_LAST_EVENT_TS = 20;
/** A row is 256 bytes: 64 int32 cells, or 32 float64 cells over the same bytes. */
const DOUBLE_STRIDE = 32;

const FLAG_EVENT = 1;
const FLAG_COMFORT_NOISE = 2;
const FLAG_JITTER_REF = 4;
const FLAG_PLAYOUT_BASE = 8;
/** What ptChanged sets from the payload format. */
const FLAG_FORMAT = FLAG_EVENT | FLAG_COMFORT_NOISE;

/** Rows a table starts with (doubled as streams come, up to the analyzer's bound). */
const INITIAL_ROWS = 64;

/**
 * Packets by value (TOS byte, payload type), counted in runs: a run is folded
 * in when the value changes. Most streams keep one value throughout: they
 * have no table, their one run is counted when read.
 */
class RunCounts {
  /** The runs that ended, by value; null while none did. */
  private ended: Map<number, number> | null = null;
  value = -1;
  /** The packet index the current run started at. */
  since = 0;

  /** The value changes at packet index `k`. */
  change(value: number, k: number): void {
    if (k > this.since && this.value >= 0) {
      const ended = (this.ended ??= new Map());
      ended.set(this.value, (ended.get(this.value) ?? 0) + k - this.since);
    }
    this.value = value;
    this.since = k;
  }

  /**
   * [value, packets] up to packet index `k` (exclusive), in the order values
   * were first counted; the runs are left as they are. Plain pairs, not a
   * Map: a report reads these for every stream, and a capture's thousands of
   * streams make the reading code hot enough to be compiled, where copying
   * and walking Maps made the compiler's work (and peak memory) several times larger.
   */
  countsTo(k: number): Array<[value: number, packets: number]> {
    const run = k > this.since && this.value >= 0 ? k - this.since : 0;
    if (this.ended === null) return run > 0 ? [[this.value, run]] : [];
    return withRun(this.ended, this.value, run);
  }
}

/** The ended runs' counts with the current run's added (a stream whose marking or payload type changed). */
function withRun(ended: Map<number, number>, value: number, run: number): Array<[number, number]> {
  const out = new Map(ended);
  if (run > 0) out.set(value, (out.get(value) ?? 0) + run);
  return [...out];
}

/** One stream: its names and what is reported beside the counters of its row. */
export class RtpStream {
  /** The first MAX_GAPS gaps: from the packet before to the packet after (s), and the numbers missing. */
  readonly gaps: Array<{ from: number; to: number; missing: number }> = [];
  /** Its figures over time, when the analyzer keeps them (the HTML report's plots). */
  series: StreamSeries | null = null;
  sdp: SdpBinding | null = null;
  /**
   * The payload map: the receiver's SDP (what the sender must use), with the
   * sender's own offer filling what the answer left out (a UAS that answers
   * without telephone-event still gets the caller's RFC 4733 events).
   */
  rtpmap: Rtpmap | null = null;
  /** Payload type and TOS byte -> packets. */
  readonly pts = new RunCounts();
  readonly tos = new RunCounts();
  format: PayloadFormat = payloadFormat(-1, null);
  /** Extended numbers skipped and not yet arrived; null while none went missing. */
  holes: Set<number> | null = null;
  /** Below this extended number holes are forgotten: a packet there cannot be told late from duplicate. */
  holesFloor = 0;
  /** Missing numbers forgotten to keep MAX_HOLES (a packet arriving for one counts as late, unchecked for a duplicate). */
  holesForgotten = 0;
  /** The last gap's missing numbers. */
  lastGap = 0;

  constructor(readonly ids: RtpStreamIds, private readonly table: RtpStreamTable, readonly slot: number) {}

  private int(cell: number): number {
    return this.table.ints[this.slot * INT_STRIDE + cell];
  }

  private double(cell: number): number {
    return this.table.doubles[this.slot * DOUBLE_STRIDE + cell];
  }

  get packets(): number { return this.int(I_PACKETS); }
  get unique(): number { return this.int(I_UNIQUE); }
  get duplicates(): number { return this.int(I_DUPLICATES); }
  /** Arrived after a higher sequence number (and not a duplicate): filled a hole late. */
  get outOfOrder(): number { return this.int(I_OUT_OF_ORDER); }
  /** Packets whose number is not the previous packet's + 1 (Wireshark's "wrong sequence"). */
  get seqErrors(): number { return this.int(I_SEQ_ERRORS); }
  get wraps(): number { return this.int(I_WRAPS); }
  /** Gaps ahead in the numbers (runs of missing packets at the time) and the longest. */
  get gapRuns(): number { return this.int(I_GAP_RUNS); }
  get longestGap(): number { return this.int(I_LONGEST_GAP); }
  get markers(): number { return this.int(I_MARKERS); }
  get eventPackets(): number { return this.int(I_EVENT_PACKETS); }
  get eventRepeats(): number { return this.int(I_EVENT_REPEATS); }
  get ptChanges(): number { return this.int(I_PT_CHANGES); }
  get firstSeq(): number { return this.int(I_FIRST_SEQ); }
  /** Packets whose RTP timestamp lay before the first packet's: left out of the timing figures. */
  get tsBehindFirst(): number { return this.int(I_TS_BEHIND_FIRST); }
  get extMax(): number { return this.int(I_EXT_MAX); }
  get extBase(): number { return this.int(I_EXT_BASE); }
  get deltaCount(): number { return this.int(I_DELTA_COUNT); }
  get jitterCount(): number { return this.int(I_JITTER_COUNT); }
  /** Packets a fixed jitter buffer of the analyzer's size would have played out too late. */
  get late(): number { return this.int(I_LATE); }
  get clockRate(): number { return this.int(I_CLOCK_RATE); }
  get first(): number { return this.double(D_FIRST); }
  get last(): number { return this.double(D_LAST); }
  get deltaMin(): number { return this.double(D_DELTA_MIN); }
  get deltaMax(): number { return this.double(D_DELTA_MAX); }
  get deltaSum(): number { return this.double(D_DELTA_SUM); }
  get jitter(): number { return this.double(D_JITTER); }
  get jitterMax(): number { return this.double(D_JITTER_MAX); }
  get jitterSum(): number { return this.double(D_JITTER_SUM); }

  /** Payload type -> packets. */
  payloadTypeCounts(): Array<[pt: number, packets: number]> {
    return this.pts.countsTo(this.packets);
  }

  /** DSCP value -> packets (integer keys: they list in ascending order). */
  dscpCounts(): Record<string, number> {
    const out = sparseRecord<string, number>();
    const runs = this.tos.countsTo(this.packets);
    for (let i = 0; i < runs.length; i++) {
      const d = runs[i][0] >> 2;
      out[d] = (out[d] ?? 0) + runs[i][1];
    }
    return out;
  }

  /** Packets by ECN codepoint 0..3: Not-ECT, ECT(1), ECT(0), CE. */
  ecnCounts(): number[] {
    const out = [0, 0, 0, 0];
    const runs = this.tos.countsTo(this.packets);
    for (let i = 0; i < runs.length; i++) out[runs[i][0] & 3] += runs[i][1];
    return out;
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
}

/**
 * The streams of one analyzer, a row each, and the index from the
 * pipeline's flow id to the row of the flow's last stream.
 */
export class RtpStreamTable {
  /** The rows' bytes, as ints and as doubles: a row's hot ints and doubles share cache lines. */
  ints: Int32Array;
  doubles: Float64Array;
  /** By row: its stream (undefined while the row is free). */
  private readonly streams: Array<RtpStream | undefined> = [];
  private readonly free: number[] = [];
  /** By flow id: the row of its last stream, -1 for none (checked against the row's flow, generation and SSRC). */
  private rowOfFlow = new Int32Array(0);

  /** `maxRows`: the analyzer's bound on streams (rows grow to it, no further). */
  constructor(private readonly jitterBufferS: number, private readonly maxRows: number) {
    const bytes = new ArrayBuffer(Math.min(INITIAL_ROWS, maxRows) * INT_STRIDE * 4);
    this.ints = new Int32Array(bytes);
    this.doubles = new Float64Array(bytes);
  }

  /** Index flow ids of a table of `capacity` ids. */
  indexFlows(capacity: number): void {
    this.rowOfFlow = new Int32Array(capacity).fill(-1);
  }

  /** A new stream in a free row. */
  open(ids: RtpStreamIds): RtpStream {
    const slot = this.free.length > 0 ? this.free.pop()! : this.streams.length;
    if ((slot + 1) * INT_STRIDE > this.ints.length) this.grow();
    const I = this.ints;
    const D = this.doubles;
    const o = slot * INT_STRIDE;
    const d = slot * DOUBLE_STRIDE;
    I.fill(0, o, o + INT_STRIDE);
    I[o + I_FLOW] = -1;
    I[o + I_SSRC] = ids.ssrc | 0;
    I[o + I_LAST_TP] = -1;
    I[o + I_LAST_SEQ] = -1;
    I[o + I_LAST_EVENT_SEQ] = -1;
    D[d + D_DELTA_MIN] = Infinity;
    D[d + D_LAST_EVENT_TS] = -1;
    const s = new RtpStream(ids, this, slot);
    this.streams[slot] = s;
    return s;
  }

  /** The stream left the table: its row is free (the flow index stops matching it). */
  close(s: RtpStream): void {
    this.ints[s.slot * INT_STRIDE + I_FLOW] = -1;
    this.ints[s.slot * INT_STRIDE + I_SSRC] = 0;
    this.streams[s.slot] = undefined;
    this.free.push(s.slot);
  }

  /** Packets of flow `id` (of generation `gen`) go to the stream's row until another stream takes the flow. */
  bindFlow(s: RtpStream, id: number, gen: number): void {
    const o = s.slot * INT_STRIDE;
    this.ints[o + I_FLOW] = id;
    this.ints[o + I_FLOW_GEN] = gen;
    this.rowOfFlow[id] = s.slot;
  }

  /** The row of the flow's last stream when it is still that flow's (same generation) and the SSRC's; -1 otherwise. */
  rowOf(id: number, gen: number, ssrc: number): number {
    const row = this.rowOfFlow[id];
    if (row < 0) return -1;
    const I = this.ints;
    const o = row * INT_STRIDE;
    return I[o + I_FLOW] === id && I[o + I_SSRC] === ssrc && I[o + I_FLOW_GEN] === gen ? row : -1;
  }

  stream(row: number): RtpStream {
    return this.streams[row]!;
  }

  private grow(): void {
    const rows = Math.max(Math.min((this.ints.length / INT_STRIDE) * 2, this.maxRows), this.streams.length + 1);
    const bytes = new ArrayBuffer(rows * INT_STRIDE * 4);
    const ints = new Int32Array(bytes);
    ints.set(this.ints);
    this.ints = ints;
    this.doubles = new Float64Array(bytes);
  }

  /**
   * Packet i of the columns into the stream of row `slot`: its arrival time,
   * RTP header fields and IP TOS byte. Read from the columns, not passed as
   * numbers: a timestamp or an RTP timestamp past 2^30 is boxed on every call
   * that is not inlined.
   */
  take(slot: number, c: RtpColumns, i: number): void {
    const I = this.ints;
    const D = this.doubles;
    const o = slot * INT_STRIDE;
    const d = slot * DOUBLE_STRIDE;
    const t = c.tsSec[i] + c.tsNsec[i] / 1e9;
    const seq = c.rtpSeq[i];
    const ts = c.rtpTimestamp[i];
    const mpt = c.rtpMarkerPt[i];
    const marker = mpt >= 0x80;
    const packets = I[o + I_PACKETS];
    I[o + I_PACKETS] = packets + 1;
    // Marking and payload type rarely change within a stream: counted in runs, folded in on change.
    const prevTp = I[o + I_LAST_TP];
    const tp = (c.tos[i] << 8) | (mpt & 0x7f);
    if (tp !== prevTp) this.tpChanged(slot, tp, prevTp, packets);
    if (marker) I[o + I_MARKERS]++;
    const prevPt = prevTp & 0x7f;
    const flags = I[o + I_FLAGS];
    const event = (flags & FLAG_EVENT) !== 0;
    if (packets === 0) {
      this.start(slot, t, seq, ts);
      return;
    }
    if (t > D[d + D_LAST]) D[d + D_LAST] = t;
    if (seq !== ((I[o + I_LAST_SEQ] + 1) & 0xffff)) I[o + I_SEQ_ERRORS]++;
    I[o + I_LAST_SEQ] = seq;
    // A repeated end-of-event packet (same number and timestamp) is neither a duplicate nor received twice.
    if (event && this.eventPacket(slot, seq, ts)) I[o + I_EVENT_REPEATS]++;
    else {
      const extMax = I[o + I_EXT_MAX];
      const ahead = (seq - (extMax & 0xffff)) & 0xffff;
      if (ahead === 1) {
        I[o + I_EXT_MAX] = extMax + 1;
        I[o + I_UNIQUE]++;
        if (seq === 0) I[o + I_WRAPS]++;
      } else this.outOfSequence(slot, seq, ahead, t);
    }

    // Timing, against the previous packet in arrival order (RFC 3550 §6.4.1: "not necessarily in sequence").
    // A timestamp before the stream's first (a sender that reset its clock) is no
    // measure of the network: such a packet neither counts nor becomes the reference (as tshark).
    if (((ts - I[o + I_FIRST_TS]) | 0) < 0) {
      I[o + I_TS_BEHIND_FIRST]++;
      return;
    }
    const delta = t - D[d + D_REF_ARRIVAL];
    const regular = !marker && (flags & FLAG_COMFORT_NOISE) === 0 && prevPt !== 13 && prevPt !== 19;
    if (regular) {
      if (delta < D[d + D_DELTA_MIN]) D[d + D_DELTA_MIN] = delta;
      if (delta > D[d + D_DELTA_MAX]) D[d + D_DELTA_MAX] = delta;
      D[d + D_DELTA_SUM] += delta;
      I[o + I_DELTA_COUNT]++;
    }
    D[d + D_REF_ARRIVAL] = t;
    if (event) return;
    if ((flags & FLAG_JITTER_REF) === 0) {
      this.startJitter(slot, t, ts);
      return;
    }
    // A payload type of unknown clock (RED, a vendor's fax-tone events) moves the
    // arrival reference but not the timestamp one, as tshark 4.0 does: the figures
    // then agree with it to the microsecond on the corpus captures that have them.
    const clock = I[o + I_FMT_CLOCK];
    if (clock === 0) {
      D[d + D_JITTER_REF_ARRIVAL] = t;
      return;
    }
    // D = (Rj - Ri) - (Sj - Si), J += (|D| - J) / 16; the timestamp difference is signed (a late packet's is negative).
    const tsDelta = (ts - I[o + I_JITTER_REF_TS]) | 0;
    const dTransit = t - D[d + D_JITTER_REF_ARRIVAL] - tsDelta * D[d + D_SECONDS_PER_TICK];
    let jitter = D[d + D_JITTER];
    jitter += (Math.abs(dTransit) - jitter) * 0.0625;
    D[d + D_JITTER] = jitter;
    D[d + D_JITTER_REF_ARRIVAL] = t;
    I[o + I_JITTER_REF_TS] = ts;
    I[o + I_CLOCK_RATE] = clock;
    if (regular) {
      if (jitter > D[d + D_JITTER_MAX]) D[d + D_JITTER_MAX] = jitter;
      D[d + D_JITTER_SUM] += jitter;
      I[o + I_JITTER_COUNT]++;
    }
    // A fixed jitter buffer plays each packet at the talkspurt's first
    // packet's arrival + the buffer size + its media time since then: a packet
    // arriving after that is late, lost to the listener though not to the
    // network. A marker bit or a timestamp jump starts a new talkspurt.
    const transit = t - ts / clock;
    // tsDelta > clock: more than a second of media time since the previous packet (tsDelta / clock > 1, with no division).
    if ((flags & FLAG_PLAYOUT_BASE) === 0 || marker || tsDelta > clock) {
      D[d + D_PLAYOUT_BASE] = transit;
      I[o + I_FLAGS] = flags | FLAG_PLAYOUT_BASE;
      return;
    }
    // Within the buffer and not ahead of the talkspurt's first: nothing changes (most packets). The
    // buffer (at most 10 s, --jitter-buffer) is far below a wrap's worth (2^31 / 1 MHz > 2000 s).
    const base = D[d + D_PLAYOUT_BASE];
    const ahead = transit - base;
    if (ahead >= 0 && ahead <= this.jitterBufferS) return;
    // Media time wraps with the 32-bit timestamp: rebase when the transit moves by more than a wrap's worth.
    if (Math.abs(ahead) > 2 ** 31 / clock) D[d + D_PLAYOUT_BASE] = transit;
    else if (ahead > this.jitterBufferS) I[o + I_LATE]++;
    else D[d + D_PLAYOUT_BASE] = transit;
  }

  /** After take(): the stream's counters into its series, when it has one (packet i of the columns arrived at its time). */
  record(slot: number, c: RtpColumns, i: number): void {
    const series = this.streams[slot]!.series;
    if (series === null) return;
    const I = this.ints;
    const o = slot * INT_STRIDE;
    const expected = I[o + I_EXT_MAX] - I[o + I_EXT_BASE] + 1;
    series.recordCounts(c.tsSec[i] + c.tsNsec[i] / 1e9, expected, I[o + I_UNIQUE], I[o + I_LATE], this.doubles[slot * DOUBLE_STRIDE + D_JITTER], I[o + I_JITTER_COUNT]);
  }

  /** The TOS byte or the payload type changed at packet index `k` (or this is the first packet). */
  private tpChanged(slot: number, tp: number, prevTp: number, k: number): void {
    const s = this.streams[slot]!;
    const I = this.ints;
    const o = slot * INT_STRIDE;
    I[o + I_LAST_TP] = tp;
    if (prevTp < 0 || tp >> 8 !== prevTp >> 8) s.tos.change(tp >> 8, k);
    const pt = tp & 0x7f;
    if (prevTp >= 0 && pt === (prevTp & 0x7f)) return;
    s.pts.change(pt, k);
    if (k > 0) I[o + I_PT_CHANGES]++;
    const fmt = payloadFormat(pt, s.rtpmap);
    s.format = fmt;
    I[o + I_FMT_CLOCK] = fmt.clockRate;
    I[o + I_FLAGS] = (I[o + I_FLAGS] & ~FLAG_FORMAT) | (fmt.event ? FLAG_EVENT : 0) | (fmt.comfortNoise ? FLAG_COMFORT_NOISE : 0);
    this.doubles[slot * DOUBLE_STRIDE + D_SECONDS_PER_TICK] = fmt.secondsPerTick;
  }

  /** The first packet of the stream. */
  private start(slot: number, t: number, seq: number, ts: number): void {
    const I = this.ints;
    const D = this.doubles;
    const o = slot * INT_STRIDE;
    const d = slot * DOUBLE_STRIDE;
    D[d + D_FIRST] = t;
    D[d + D_LAST] = t;
    I[o + I_FIRST_SEQ] = seq;
    I[o + I_FIRST_TS] = ts;
    I[o + I_EXT_BASE] = seq;
    I[o + I_EXT_MAX] = seq;
    this.streams[slot]!.holesFloor = seq;
    I[o + I_UNIQUE] = 1;
    I[o + I_LAST_SEQ] = seq;
    D[d + D_REF_ARRIVAL] = t;
    if ((I[o + I_FLAGS] & FLAG_EVENT) !== 0) this.eventPacket(slot, seq, ts);
    else this.startJitter(slot, t, ts);
  }

  /** The jitter's references, at a voice packet with none yet. */
  private startJitter(slot: number, t: number, ts: number): void {
    const I = this.ints;
    const D = this.doubles;
    const o = slot * INT_STRIDE;
    const d = slot * DOUBLE_STRIDE;
    I[o + I_FLAGS] |= FLAG_JITTER_REF;
    D[d + D_JITTER_REF_ARRIVAL] = t;
    I[o + I_JITTER_REF_TS] = ts;
    const clock = I[o + I_FMT_CLOCK];
    if (clock === 0) return;
    I[o + I_CLOCK_RATE] = clock;
    D[d + D_PLAYOUT_BASE] = t - ts / clock;
    I[o + I_FLAGS] |= FLAG_PLAYOUT_BASE;
  }

  /** An RFC 4733 event packet, counted; true when it repeats the previous one's number and timestamp (an end repeated). */
  private eventPacket(slot: number, seq: number, ts: number): boolean {
    const I = this.ints;
    const o = slot * INT_STRIDE;
    const d = slot * DOUBLE_STRIDE;
    const repeated = seq === I[o + I_LAST_EVENT_SEQ] && ts === this.doubles[d + D_LAST_EVENT_TS];
    I[o + I_EVENT_PACKETS]++;
    I[o + I_LAST_EVENT_SEQ] = seq;
    this.doubles[d + D_LAST_EVENT_TS] = ts;
    return repeated;
  }

  /** Sequence accounting for a packet that is not the next number: a duplicate, a gap ahead, or a late arrival. */
  private outOfSequence(slot: number, seq: number, ahead: number, t: number): void {
    const I = this.ints;
    const o = slot * INT_STRIDE;
    const s = this.streams[slot]!;
    const extMax = I[o + I_EXT_MAX];
    if (ahead === 0) {
      I[o + I_DUPLICATES]++;
      return;
    }
    if (ahead < 0x8000) {
      // Ahead of the highest: the numbers missed in between are a gap (they may still come late).
      if (seq < (extMax & 0xffff)) I[o + I_WRAPS]++;
      const gap = ahead - 1;
      s.lastGap = gap;
      I[o + I_GAP_RUNS]++;
      if (gap > I[o + I_LONGEST_GAP]) I[o + I_LONGEST_GAP] = gap;
      addHoles(s, extMax + 1, extMax + ahead);
      I[o + I_EXT_MAX] = extMax + ahead;
      I[o + I_UNIQUE]++;
      if (s.gaps.length < MAX_GAPS) s.gaps.push({ from: this.doubles[slot * DOUBLE_STRIDE + D_REF_ARRIVAL], to: t, missing: gap });
      return;
    }
    // Behind the highest: a late arrival if it fills a hole, else a duplicate.
    const ext = extMax - (0x10000 - ahead);
    if (ext < I[o + I_EXT_BASE]) {
      // Before the first number seen: the stream started earlier than we thought.
      I[o + I_EXT_BASE] = ext;
      I[o + I_OUT_OF_ORDER]++;
      I[o + I_UNIQUE]++;
      return;
    }
    if (ext < s.holesFloor || (s.holes !== null && s.holes.delete(ext))) {
      I[o + I_OUT_OF_ORDER]++;
      I[o + I_UNIQUE]++;
    } else I[o + I_DUPLICATES]++;
  }
}

/** Numbers from..to-1 went missing; past MAX_HOLES the oldest are forgotten. */
function addHoles(s: RtpStream, from: number, to: number): void {
  const holes = (s.holes ??= new Set<number>());
  const start = Math.max(from, to - MAX_HOLES);
  if (start > from) {
    // The gap alone is wider than the bound: the holes before it and its own first numbers are forgotten.
    s.holesForgotten += holes.size + (start - from);
    holes.clear();
    s.holesFloor = start;
  }
  for (let e = start; e < to; e++) holes.add(e);
  if (holes.size > MAX_HOLES) {
    for (const e of holes) {
      holes.delete(e);
      s.holesFloor = e + 1;
      s.holesForgotten++;
      if (holes.size <= MAX_HOLES) break;
    }
  }
}
