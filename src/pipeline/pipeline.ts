// The one pipeline behind files, live capture and the generator's checks:
// frame bytes -> pure dissectors -> stateful decoding (IP fragments, TCP
// streams framed into SIP) -> the flow table (each 5-tuple interned once as a
// number, flow-table.ts) and the classification table (heartbeats, RTP by
// SDP or shape, classify.ts) -> the consumers. Every whole non-SIP UDP
// datagram reaches the analyzers as one entry of the lane (udp-batch.ts),
// read in place when no consumer needs its record, else filled from the
// record; everything else goes as a record.

import type { PacketRecord, FrameInfo, SipMessage } from '../../dissectors/types.js';
import { TCP_FIN, TCP_RST } from '../../dissectors/types.js';
import {
  IPPROTO_TCP, IPPROTO_UDP, decodeFrame, decodeIpUdpFrame, decodeTransport, DEFAULT_DECODE_OPTIONS, newIpUdpFields, readIpUdp, udpPayloadIsSip, type DecodeOptions, type IpUdpFields,
} from '../../dissectors/frame.js';
import { decodeRtp } from '../../dissectors/rtp.js';
import { IpFragmentReassembler } from '../reassembly/ip-fragments.js';
import { TcpReassembler } from '../reassembly/tcp-stream.js';
import { openSipTcpStream, type SipTcpStream } from '../reassembly/sip-tcp-stream.js';
import { FlowSlots, FlowTable, NO_FLOW, type FlowTableStats } from './flow-table.js';
import { CLASS_RECORD, DatagramClassifier } from './classify.js';
import { BATCH_HEARTBEAT, BATCH_NONE, BATCH_RTP, UDP_BATCH_CAPACITY, UdpBatch, type BatchConsumer, type RecordConsumer } from './udp-batch.js';
import type { FrameSink } from '../sources/types.js';
import type { SdpTableStats } from './sdp-endpoints.js';

export type { RecordConsumer };
/** A consumer of records only, or one of the lane and the records not in it. */
export type PipelineConsumer = RecordConsumer | BatchConsumer;

export interface PipelineOptions extends DecodeOptions {
  /** TCP ports whose streams are always framed as SIP (others only when a segment starts like SIP). */
  sipTcpPorts?: ReadonlySet<number>;
  /** Flows the flow table holds at once (DEFAULT_FLOW_CAPACITY). */
  maxFlows?: number;
  /** Media endpoints the SDP table holds at once (MAX_SDP_ENDPOINTS). */
  maxSdpEndpoints?: number;
}

export interface PipelineStats {
  frames: number;
  errors: number;
  fragmentsReassembled: number;
  tcpGapBytes: number;
  sipGarbageBytes: number;
  /** The flow table: flows interned, how many it let go to stay bounded, its capacity. */
  flows: FlowTableStats;
  /** The table of media endpoints learned from SDP: its capacity, how many it let go to stay bounded. */
  sdpEndpoints: SdpTableStats;
}

const DEFAULT_SIP_TCP_PORTS: ReadonlySet<number> = new Set([5060]);

export class Pipeline implements FrameSink {
  readonly stats: PipelineStats;
  readonly flows: FlowTable;
  private readonly opts: PipelineOptions;
  private readonly sipTcpPorts: ReadonlySet<number>;
  private readonly fragments = new IpFragmentReassembler();
  private readonly tcp = new TcpReassembler();
  /** SIP framing by TCP flow id, while the flow table holds the flow (its garbage counted when it leaves). */
  private readonly framers: FlowSlots<SipTcpStream>;
  private readonly classifier: DatagramClassifier;
  /** Consumers of every record (printers, the HEP sink): records are made for every frame while there is one. */
  private readonly recordOnly: RecordConsumer[];
  /** The rest: the lane, and the records of what is not in it. */
  private readonly laneConsumers: BatchConsumer[];
  private readonly batch: UdpBatch;
  /** By flow id: the serial of the last lane batch that took an entry of it; the batch being filled is `batchSerial`. */
  private readonly inBatch: Uint32Array;
  private batchSerial = 1;
  private readonly fields = newIpUdpFields();

  constructor(consumers: readonly PipelineConsumer[], opts: Partial<PipelineOptions> = {}) {
    this.recordOnly = consumers.filter((c): c is RecordConsumer => typeof c === 'function');
    this.laneConsumers = consumers.filter((c): c is BatchConsumer => typeof c !== 'function');
    this.opts = { ...DEFAULT_DECODE_OPTIONS, ...opts };
    this.sipTcpPorts = opts.sipTcpPorts ?? DEFAULT_SIP_TCP_PORTS;
    this.flows = new FlowTable(opts.maxFlows);
    this.classifier = new DatagramClassifier(this.flows, this.opts.heartbeatPorts, this.opts.heartbeatByteOrder, opts.maxSdpEndpoints);
    this.stats = { frames: 0, errors: 0, fragmentsReassembled: 0, tcpGapBytes: 0, sipGarbageBytes: 0, flows: this.flows.stats, sdpEndpoints: this.classifier.sdp.stats };
    this.framers = new FlowSlots<SipTcpStream>(this.flows, (f) => (this.stats.sipGarbageBytes += f.garbageBytes));
    this.batch = new UdpBatch(this.flows);
    this.inBatch = new Uint32Array(this.flows.capacity);
    // First among the table's listeners: the lane's entries of a flow reach the analyzers before they hear it left.
    this.flows.onEvict((id) => {
      if (this.inBatch[id] === this.batchSerial && this.batch.length > 0) this.flush();
    });
    for (const c of this.laneConsumers) {
      c.useFlows?.(this.flows);
      c.useSdpEndpoints?.(this.classifier.sdp);
    }
  }

  /** Handle one captured frame; `bytes` may be reused by the caller afterwards. */
  readonly frame = (info: FrameInfo, bytes: Uint8Array): void => {
    this.record(decodeFrame(info, bytes, this.opts));
  };

  /** A frame's record, through the stateful decoding to the consumers. */
  private record(rec: PacketRecord): void {
    this.stats.frames++;
    if (rec.ip?.fragment) this.reassemble(rec);
    if (rec.ip !== null && (rec.transport === 'udp' || rec.transport === 'tcp')) {
      rec.flow = this.flows.ofHeader(rec.transport === 'udp' ? IPPROTO_UDP : IPPROTO_TCP, rec.ip, rec.sport, rec.dport);
    }
    let inLane = false;
    if (rec.transport === 'tcp') this.tcpStream(rec);
    else if (rec.transport === 'udp') inLane = this.udpDatagram(rec);
    if (rec.sip) this.classifier.learn(rec);
    if (rec.error) this.stats.errors++;
    for (const c of this.recordOnly) c(rec);
    if (inLane) {
      this.append(rec);
      return;
    }
    if (this.batch.length > 0) this.flush();
    for (const c of this.laneConsumers) c.add(rec);
  }

  /**
   * The lane read in place: a whole UDP datagram over IPv4 or IPv6 (behind
   * one of the link headers readIpUdp reads, not cut by the snaplen) that is
   * neither SIP nor RTCP joins the lane with no record made. A SIP or RTCP
   * one is handled as `frame` would handle it, its record made from the
   * headers already read and the bytes where they stand. Both return true.
   * Anything else returns false, for the reader to hand to `frame`; so does
   * every frame while a consumer takes every record.
   */
  readonly frameInPlace = (info: FrameInfo, b: Uint8Array, start: number): boolean => {
    const f = this.fields;
    if (this.recordOnly.length > 0 || info.caplen !== info.len || !readIpUdp(info.linkType, b, start, start + info.caplen, f)) return false;
    // The record's decode is told what was found here, so that SIP is recognised once.
    if (udpPayloadIsSip(b, f)) this.record(decodeIpUdpFrame(info, b, start, f, this.opts, true));
    else if (!this.otherDatagram(info, b, f)) this.record(decodeIpUdpFrame(info, b, start, f, this.opts, false));
    return true;
  };

  /** frameInPlace for a whole UDP datagram whose headers the caller read into `f` (readIpUdp), as a split file's partition does. */
  laneDatagram(info: FrameInfo, b: Uint8Array, f: IpUdpFields): boolean {
    return this.recordOnly.length === 0 && !udpPayloadIsSip(b, f) && this.otherDatagram(info, b, f);
  }

  /** laneDatagram for a datagram that is not SIP. */
  private otherDatagram(info: FrameInfo, b: Uint8Array, f: IpUdpFields): boolean {
    const p = f.payload;
    const end = f.payloadEnd;
    const flow = f.version === 4
      ? this.flows.ipv4(IPPROTO_UDP, f.src, f.dst, f.sport, f.dport)
      : this.flows.ipv6(IPPROTO_UDP, b, f.srcOffset, f.dstOffset, f.sport, f.dport);
    const c = this.classifier;
    const app = c.datagram(flow, f.sport, f.dport, end - p === 4 && c.onHeartbeatPort(f.sport, f.dport), b, p, end, info.tsSec, info.tsNsec);
    if (app === CLASS_RECORD) return false;
    const batch = this.batch;
    const i = this.entry(info.frame, info.tsSec, info.tsNsec, flow, f.tos, f.version === 6 ? 1 : 0, f.vlanTagged ? 1 : 0, end - p, app);
    if (app === BATCH_HEARTBEAT) this.heartbeatColumns(i);
    else if (app === BATCH_RTP) {
      batch.rtpMarkerPt[i] = b[p + 1];
      batch.rtpSeq[i] = (b[p + 2] << 8) | b[p + 3];
      batch.rtpTimestamp[i] = (b[p + 4] << 24) | (b[p + 5] << 16) | (b[p + 6] << 8) | b[p + 7];
      batch.rtpSsrc[i] = (b[p + 8] << 24) | (b[p + 9] << 16) | (b[p + 10] << 8) | b[p + 11];
    }
    this.stats.frames++;
    if (batch.length === UDP_BATCH_CAPACITY) this.flush();
    return true;
  }

  /** Hand the lane on; the reader calls this at the end of input (live sources after each read). */
  readonly flush = (): void => {
    const batch = this.batch;
    if (batch.length === 0) return;
    for (const c of this.laneConsumers) c.addUdpBatch(batch);
    batch.length = 0;
    // Map.clear() allocates a new table even for an empty map, and a SIP-heavy capture flushes every few datagrams.
    if (batch.hbEarlier.size > 0) batch.hbEarlier.clear();
    this.batchSerial++;
  };

  /** A new entry's common columns; returns its index. */
  private entry(frameNo: number, tsSec: number, tsNsec: number, flow: number, tos: number, ipv6: number, vlanTagged: number, payloadLength: number, app: number): number {
    const batch = this.batch;
    const i = batch.length;
    if (i === 0 || tsSec > batch.latestSec || (tsSec === batch.latestSec && tsNsec > batch.latestNsec)) {
      batch.latestSec = tsSec;
      batch.latestNsec = tsNsec;
    }
    batch.frameNo[i] = frameNo;
    batch.tsSec[i] = tsSec;
    batch.tsNsec[i] = tsNsec;
    batch.flow[i] = flow;
    this.inBatch[flow] = this.batchSerial;
    batch.tos[i] = tos;
    batch.ipv6[i] = ipv6;
    batch.vlanTagged[i] = vlanTagged;
    batch.payloadLength[i] = payloadLength;
    batch.app[i] = app;
    batch.length = i + 1;
    return i;
  }

  /** The classifier's last heartbeat, as entry i's columns. */
  private heartbeatColumns(i: number): void {
    const hb = this.classifier.heartbeats;
    const batch = this.batch;
    batch.hbSeq[i] = hb.seq;
    batch.hbBigEndian[i] = hb.order === 'be' ? 1 : 0;
    if (hb.earlier) batch.hbEarlier.set(i, hb.earlier);
  }

  /** A record that is a lane datagram, as one entry. */
  private append(rec: PacketRecord): void {
    const ip = rec.ip!;
    const app = rec.app === 'rtp' ? BATCH_RTP : rec.app === 'mds-heartbeat' ? BATCH_HEARTBEAT : BATCH_NONE;
    const batch = this.batch;
    const i = this.entry(rec.frame, rec.tsSec, rec.tsNsec, rec.flow, (ip.dscp << 2) | ip.ecn, ip.version === 6 ? 1 : 0, rec.vlans !== null ? 1 : 0, rec.payload!.length, app);
    if (app === BATCH_HEARTBEAT) {
      const hb = rec.hb!;
      batch.hbSeq[i] = hb.seq;
      batch.hbBigEndian[i] = hb.byteOrder === 'be' ? 1 : 0;
      if (hb.earlier) batch.hbEarlier.set(i, hb.earlier);
    } else if (app === BATCH_RTP) {
      const rtp = rec.rtp!;
      batch.rtpMarkerPt[i] = (rtp.marker ? 0x80 : 0) | rtp.payloadType;
      batch.rtpSeq[i] = rtp.seq;
      batch.rtpTimestamp[i] = rtp.timestamp;
      batch.rtpSsrc[i] = rtp.ssrc;
    }
    if (batch.length === UDP_BATCH_CAPACITY) this.flush();
  }

  private reassemble(rec: PacketRecord): void {
    const ip = rec.ip!;
    const frag = ip.fragment!;
    const payload = rec.payload;
    rec.payload = null;
    if (!payload) return;
    const key = `${ip.version}|${ip.src}|${ip.dst}|${ip.proto}|${ip.id}`;
    const whole = this.fragments.add(key, frag.offset, frag.moreFragments, payload, rec.tsSec + rec.tsNsec / 1e9);
    if (whole) {
      this.stats.fragmentsReassembled++;
      decodeTransport(rec, whole, 0, whole.length, this.opts);
    }
  }

  private tcpStream(rec: PacketRecord): void {
    const tcp = rec.tcp;
    const p = rec.payload;
    if (!tcp || !rec.ip) return;
    if (rec.flow === NO_FLOW) return;
    let framer = this.framers.get(rec.flow);
    if (framer === undefined) {
      const sipPort = this.sipTcpPorts.has(rec.sport) || this.sipTcpPorts.has(rec.dport);
      framer = openSipTcpStream(p, sipPort, rec.sport, rec.dport) ?? undefined;
      if (framer === undefined) return;
      this.framers.set(rec.flow, framer);
    }
    // The flow's name only when it carries SIP: a scan's SYNs need none.
    const key = this.flows.info(rec.flow).key;
    const d = this.tcp.segment(key, tcp.seq, tcp.flags, p ?? new Uint8Array(0), rec.tsSec + rec.tsNsec / 1e9);
    let msgs: SipMessage[] | null = null;
    if (d.gapBytes > 0) {
      this.stats.tcpGapBytes += d.gapBytes;
      framer.gap();
    }
    for (const chunk of d.chunks) {
      const got = framer.push(chunk);
      if (got.length) (msgs ??= []).push(...got);
    }
    // SIP over TLS or WebSocket: every segment with payload is of it, SIP readable or not.
    if (framer.app !== null && framer.app !== 'sip' && p !== null && p.length > 0) rec.app = framer.app;
    if (msgs) {
      rec.sip = msgs;
      rec.app = framer.app ?? 'sip';
      const err = msgs.find((m) => m.error !== undefined)?.error;
      if (err) rec.error ??= `sip: ${err}`;
    }
    if (tcp.flags & (TCP_RST | TCP_FIN)) {
      this.stats.sipGarbageBytes += framer.garbageBytes;
      this.framers.delete(rec.flow);
    }
  }

  /**
   * A UDP record's application by the classification table (a heartbeat or
   * RTP when the dissector found no SIP); true when it is a lane datagram: whole,
   * not tunnelled or reassembled, neither SIP nor RTCP, and decoded without error.
   */
  private udpDatagram(rec: PacketRecord): boolean {
    const p = rec.payload;
    if (rec.ip === null || rec.flow === NO_FLOW || p === null || rec.app === 'sip') return false;
    const known = rec.app === 'mds-heartbeat';
    const app = this.classifier.datagram(rec.flow, rec.sport, rec.dport, known, p, 0, p.length, rec.tsSec, rec.tsNsec);
    if (app === BATCH_HEARTBEAT) {
      const hb = this.classifier.heartbeats;
      rec.app = 'mds-heartbeat';
      rec.hb = hb.earlier ? { seq: hb.seq, byteOrder: hb.order, earlier: hb.earlier } : { seq: hb.seq, byteOrder: hb.order };
    } else if (app === BATCH_RTP) {
      rec.app = 'rtp';
      rec.rtp = decodeRtp(p, 0, p.length);
    }
    return app !== CLASS_RECORD && rec.error === null && !rec.truncated && rec.outerIp === null && rec.ip.fragment === null;
  }
}
