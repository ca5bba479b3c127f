// The one pipeline behind files, live capture and the generator's checks:
// frame bytes -> pure dissectors -> stateful decoding (IP fragments, TCP
// streams framed into SIP, RTP learned from SDP, heartbeat streams found by
// shape) -> the consumers (printers, analyzers). Plain UDP datagrams may
// take the fast lane instead (udp-batch.ts) when every consumer can.

import type { IpHeader, PacketRecord, FrameInfo, SipMessage } from '../../dissectors/types.js';
import { TCP_FIN, TCP_RST } from '../../dissectors/types.js';
import {
  IPPROTO_UDP, decodeFrame, decodeTransport, DEFAULT_DECODE_OPTIONS, newIpv4UdpFields, onHeartbeatPort, readIpv4Udp, type DecodeOptions,
} from '../../dissectors/frame.js';
import { ipv4Text } from '../../dissectors/ipv4.js';
import { decodeRtp, looksLikeRtp, rtpHeaderLength } from '../../dissectors/rtp.js';
import { IpFragmentReassembler } from '../reassembly/ip-fragments.js';
import { TcpReassembler } from '../reassembly/tcp-stream.js';
import { openSipTcpStream, type SipTcpStream } from '../reassembly/sip-tcp-stream.js';
import { BoundedMap } from '../common/bounded-map.js';
import { HeartbeatStreams } from './heartbeat-streams.js';
import { endpoint, flowKey, mediaAddress } from './flow-key.js';
import { detach } from '../common/detach.js';
import { Ipv4FlowCache } from './ipv4-flow-cache.js';
import { BATCH_HEARTBEAT, BATCH_NONE, BATCH_RTP, UDP_BATCH_CAPACITY, UdpBatch, type BatchConsumer, type RecordConsumer } from './udp-batch.js';
import type { FrameSink } from '../sources/types.js';

export type { RecordConsumer };
/** A consumer of records only, or one that takes the fast lane's batches too. */
export type PipelineConsumer = RecordConsumer | BatchConsumer;

export interface PipelineOptions extends DecodeOptions {
  /** TCP ports whose streams are always framed as SIP (others only when a segment starts like SIP). */
  sipTcpPorts?: ReadonlySet<number>;
}

export interface PipelineStats {
  frames: number;
  errors: number;
  fragmentsReassembled: number;
  tcpGapBytes: number;
  sipGarbageBytes: number;
}

const DEFAULT_SIP_TCP_PORTS: ReadonlySet<number> = new Set([5060]);
const MAX_TRACKED = 65536;
/** SDP transport protocols that carry RTP: RTP/AVP, RTP/SAVP(F), UDP/TLS/RTP/SAVPF, ... */
const RTP_PROFILE = /(^|\/)RTP\//i;
/** What SDP said of a flow's endpoints: nothing, RTP, or other media (T.38 over udptl). */
const SDP_SILENT = 0;
const SDP_RTP = 1;
const SDP_OTHER = 2;

export class Pipeline implements FrameSink {
  readonly stats: PipelineStats = { frames: 0, errors: 0, fragmentsReassembled: 0, tcpGapBytes: 0, sipGarbageBytes: 0 };
  private readonly opts: PipelineOptions;
  private readonly sipTcpPorts: ReadonlySet<number>;
  private readonly fragments = new IpFragmentReassembler();
  private readonly tcp = new TcpReassembler();
  private readonly framers = new BoundedMap<string, SipTcpStream>(MAX_TRACKED);
  /** "addr:port" endpoints that SDP announced as media: SDP_RTP for an RTP profile, else SDP_OTHER. */
  private readonly mediaEndpoints = new BoundedMap<string, number>(MAX_TRACKED);
  private readonly heartbeats: HeartbeatStreams;
  private readonly consumers: RecordConsumer[];
  /** All the consumers, when every one takes batches: the fast lane is open only then. */
  private readonly batchConsumers: BatchConsumer[] | null;
  private readonly batch = new UdpBatch();
  private readonly fields = newIpv4UdpFields();
  /** SDP_* per IPv4 flow for the fast lane; cleared whenever SDP teaches something new. */
  private readonly sdpCache = new Ipv4FlowCache<number>();

  constructor(consumers: readonly PipelineConsumer[], opts: Partial<PipelineOptions> = {}) {
    this.consumers = consumers.map((c) => (typeof c === 'function' ? c : c.add));
    this.batchConsumers = consumers.every((c) => typeof c !== 'function') ? (consumers as BatchConsumer[]) : null;
    this.opts = { ...DEFAULT_DECODE_OPTIONS, ...opts };
    this.sipTcpPorts = opts.sipTcpPorts ?? DEFAULT_SIP_TCP_PORTS;
    this.heartbeats = new HeartbeatStreams(this.opts.heartbeatByteOrder);
  }

  /** Handle one captured frame; `bytes` may be reused by the caller afterwards. */
  readonly frame = (info: FrameInfo, bytes: Uint8Array): void => {
    const rec = decodeFrame(info, bytes, this.opts);
    this.stats.frames++;
    if (rec.ip?.fragment) this.reassemble(rec);
    if (rec.transport === 'tcp') this.tcpStream(rec);
    else if (rec.transport === 'udp') this.udpFlow(rec);
    if (rec.sip) this.learnMedia(rec.sip);
    if (rec.error) this.stats.errors++;
    if (this.batch.length > 0) this.flush();
    for (const c of this.consumers) c(rec);
  };

  /**
   * The fast lane: a plain UDP datagram (whole IPv4 behind one of the link
   * headers readIpv4Udp reads, not cut by the snaplen) whose payload is not
   * text (SIP starts with a letter; RTP with 0x80-0xBF; a heartbeat is any 4
   * bytes) joins the batch instead of becoming a record, and this returns
   * true. Anything else returns false, for the reader to hand to `frame`.
   */
  readonly frameInPlace = (info: FrameInfo, b: Uint8Array, start: number): boolean => {
    const f = this.fields;
    if (this.batchConsumers === null || info.caplen !== info.len || !readIpv4Udp(info.linkType, b, start, start + info.caplen, f)) return false;
    const p = f.payload;
    const end = f.payloadEnd;
    const batch = this.batch;
    const i = batch.length;
    if (end - p === 4) {
      const known = onHeartbeatPort(f.sport, f.dport, this.opts.heartbeatPorts);
      const hb = this.heartbeats;
      if (hb.observeIpv4(f.src, f.dst, f.sport, f.dport, known, b, p, info.tsSec, info.tsNsec)) {
        batch.app[i] = BATCH_HEARTBEAT;
        batch.hbSeq[i] = hb.seq;
        batch.hbBigEndian[i] = hb.order === 'be' ? 1 : 0;
        if (hb.earlier) batch.hbEarlier.set(i, hb.earlier);
      } else batch.app[i] = BATCH_NONE;
    } else {
      // RTCP (v2, packet type 200..207) is rare and read whole by the media analyzer: it goes as a record.
      if (end === p || b[p] < 0x80 || (b[p] < 0xc0 && b[p + 1] >= 200 && b[p + 1] <= 207)) return false;
      if (this.isRtpIpv4(f.src, f.dst, f.sport, f.dport, b, p, end)) {
        batch.app[i] = BATCH_RTP;
        batch.rtpMarkerPt[i] = b[p + 1];
        batch.rtpSeq[i] = (b[p + 2] << 8) | b[p + 3];
        batch.rtpTimestamp[i] = (b[p + 4] << 24) | (b[p + 5] << 16) | (b[p + 6] << 8) | b[p + 7];
        batch.rtpSsrc[i] = (b[p + 8] << 24) | (b[p + 9] << 16) | (b[p + 10] << 8) | b[p + 11];
      } else batch.app[i] = BATCH_NONE;
    }
    const sec = info.tsSec;
    const nsec = info.tsNsec;
    if (i === 0 || sec > batch.latestSec || (sec === batch.latestSec && nsec > batch.latestNsec)) {
      batch.latestSec = sec;
      batch.latestNsec = nsec;
    }
    batch.tsSec[i] = sec;
    batch.tsNsec[i] = nsec;
    batch.src[i] = f.src;
    batch.dst[i] = f.dst;
    batch.sport[i] = f.sport;
    batch.dport[i] = f.dport;
    batch.tos[i] = f.tos;
    batch.vlanTagged[i] = f.vlanTagged ? 1 : 0;
    batch.length = i + 1;
    this.stats.frames++;
    if (batch.length === UDP_BATCH_CAPACITY) this.flush();
    return true;
  };

  /** recogniseRtp for the fast lane: what SDP said of the flow comes from a numeric cache. */
  private isRtpIpv4(src4: number, dst4: number, sport: number, dport: number, b: Uint8Array, p: number, end: number): boolean {
    let sdp = SDP_SILENT;
    if (this.mediaEndpoints.size > 0) {
      const cached = this.sdpCache.get(IPPROTO_UDP, src4, dst4, sport, dport);
      if (cached !== undefined) sdp = cached;
      else {
        sdp = this.sdpSays(ipv4Text(src4), sport, ipv4Text(dst4), dport);
        this.sdpCache.set(IPPROTO_UDP, src4, dst4, sport, dport, sdp);
      }
    }
    return isRtp(sdp, sport, dport, b, p, end);
  }

  /** Hand the batch on; the reader calls this at the end of input. */
  readonly flush = (): void => {
    const batch = this.batch;
    if (batch.length === 0) return;
    for (const c of this.batchConsumers!) c.addUdpBatch(batch);
    batch.length = 0;
    batch.hbEarlier.clear();
  };

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
    const key = flowKey(rec);
    const sipPort = this.sipTcpPorts.has(rec.sport) || this.sipTcpPorts.has(rec.dport);
    let framer = this.framers.get(key);
    if (!framer) {
      framer = openSipTcpStream(p, sipPort, rec.sport, rec.dport) ?? undefined;
      if (framer === undefined) return;
      this.framers.set(key, framer);
    }
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
      this.framers.delete(key);
    }
  }

  private udpFlow(rec: PacketRecord): void {
    if (!rec.ip) return;
    if (rec.payload?.length === 4 && (rec.app === null || rec.app === 'mds-heartbeat')) {
      this.heartbeats.observe(rec, flowKey(rec));
      return;
    }
    if (rec.app === null) this.recogniseRtp(rec, rec.ip);
  }

  private recogniseRtp(rec: PacketRecord, ip: IpHeader): void {
    const p = rec.payload;
    if (!p) return;
    const sdp = this.mediaEndpoints.size > 0 ? this.sdpSays(ip.src, rec.sport, ip.dst, rec.dport) : SDP_SILENT;
    if (isRtp(sdp, rec.sport, rec.dport, p, 0, p.length)) {
      rec.app = 'rtp';
      rec.rtp = decodeRtp(p, 0, p.length);
    }
  }

  /** What SDP announced for the flow's destination, or else its source (SDP_*). */
  private sdpSays(src: string, sport: number, dst: string, dport: number): number {
    return this.mediaEndpoints.peek(endpoint(dst, dport)) ?? this.mediaEndpoints.peek(endpoint(src, sport)) ?? SDP_SILENT;
  }

  private learnMedia(msgs: SipMessage[]): void {
    for (const m of msgs) {
      if (!m.sdp) continue;
      for (const media of m.sdp.media) {
        const addr = mediaAddress(m.sdp, media);
        if (addr && media.port > 0) {
          this.mediaEndpoints.set(detach(endpoint(addr, media.port)), RTP_PROFILE.test(media.proto) ? SDP_RTP : SDP_OTHER);
          this.sdpCache.clear();
        }
      }
    }
  }
}

/** RTP on an endpoint SDP announced as RTP, or by shape on one SDP said nothing of. */
function isRtp(sdp: number, sport: number, dport: number, b: Uint8Array, off: number, end: number): boolean {
  return sdp === SDP_RTP ? rtpHeaderLength(b, off, end) > 0 : sdp === SDP_SILENT && looksLikeRtp(sport, dport, b, off, end);
}
