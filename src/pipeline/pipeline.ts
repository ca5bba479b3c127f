// The one pipeline behind files, live capture and the generator's checks:
// frame bytes -> pure dissectors -> stateful decoding (IP fragments, TCP
// streams framed into SIP, RTP learned from SDP, heartbeat streams found by
// shape) -> the consumers (printers, analyzers).

import type { IpHeader, PacketRecord, FrameInfo, SipMessage } from '../../dissectors/types.js';
import { TCP_FIN, TCP_RST } from '../../dissectors/types.js';
import { decodeFrame, decodeTransport, DEFAULT_DECODE_OPTIONS, type DecodeOptions } from '../../dissectors/frame.js';
import { looksLikeSip } from '../../dissectors/sip.js';
import { decodeRtp, looksLikeRtp, rtpHeaderLength } from '../../dissectors/rtp.js';
import { IpFragmentReassembler } from '../reassembly/ip-fragments.js';
import { TcpReassembler } from '../reassembly/tcp-stream.js';
import { SipStreamFramer } from '../sip/stream-framer.js';
import { BoundedMap } from './bounded-map.js';
import { HeartbeatStreams } from './heartbeat-streams.js';
import { endpoint, flowKey } from './flow-key.js';

export type RecordConsumer = (rec: PacketRecord) => void;

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

export class Pipeline {
  readonly stats: PipelineStats = { frames: 0, errors: 0, fragmentsReassembled: 0, tcpGapBytes: 0, sipGarbageBytes: 0 };
  private readonly opts: PipelineOptions;
  private readonly sipTcpPorts: ReadonlySet<number>;
  private readonly fragments = new IpFragmentReassembler();
  private readonly tcp = new TcpReassembler();
  private readonly framers = new BoundedMap<string, SipStreamFramer>(MAX_TRACKED);
  /** "addr:port" endpoints that SDP announced as media: true for an RTP profile, false for other media (T.38 over udptl). */
  private readonly mediaEndpoints = new BoundedMap<string, boolean>(MAX_TRACKED);
  private readonly heartbeats: HeartbeatStreams;

  constructor(private readonly consumers: RecordConsumer[], opts: Partial<PipelineOptions> = {}) {
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
    for (const c of this.consumers) c(rec);
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
      if (!sipPort && !(p && p.length > 0 && looksLikeSip(p, 0, p.length))) return;
      framer = new SipStreamFramer();
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
    if (msgs) {
      rec.sip = msgs;
      rec.app = 'sip';
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

  /** RTP on an endpoint SDP announced, or by shape on a heuristic port unless SDP said that port carries other media. */
  private recogniseRtp(rec: PacketRecord, ip: IpHeader): void {
    const p = rec.payload;
    if (!p) return;
    const sdp = this.mediaEndpoints.size > 0 ? this.mediaEndpoints.peek(endpoint(ip.dst, rec.dport)) ?? this.mediaEndpoints.peek(endpoint(ip.src, rec.sport)) : undefined;
    if (sdp === false) return;
    if (sdp === true ? rtpHeaderLength(p, 0, p.length) > 0 : looksLikeRtp(rec.sport, rec.dport, p, 0, p.length)) {
      rec.app = 'rtp';
      rec.rtp = decodeRtp(p, 0, p.length);
    }
  }

  private learnMedia(msgs: SipMessage[]): void {
    for (const m of msgs) {
      if (!m.sdp) continue;
      for (const media of m.sdp.media) {
        const addr = media.address ?? m.sdp.address;
        if (addr && media.port > 0) this.mediaEndpoints.set(endpoint(addr, media.port), RTP_PROFILE.test(media.proto));
      }
    }
  }
}
