// The HEP sink: a pipeline consumer that sends what it sees as HEPv3.
//
// - SIP: one packet per message with its original bytes (a UDP datagram's
//   payload; on TCP, the message as framed out of the stream), the packet's
//   timestamp, addresses and ports, and its Call-ID as correlation id.
// - Heartbeat events: its own detector, fed by the same records with packet
//   time as its clock (as `analyze` runs it), sends each event as it is
//   found; see heartbeat-chunk.ts for the packet. TCP resets between
//   heartbeat peers wait until no failover they could follow can still be
//   declared, then are tied as `analyze` ties them.
//
// The pipeline hands on parsed SIP messages, not their bytes; on TCP the
// sink keeps each SIP stream's in-order bytes (the project's reassembler, fed
// the very segments the pipeline's framer sees) and cuts each message the
// pipeline reports out of them, so what is sent is byte for byte what was on
// the wire.

import type { PacketRecord } from '../../dissectors/types.js';
import { TCP_FIN, TCP_RST } from '../../dissectors/types.js';
import { looksLikeSip, sipStreamExtent } from '../../dissectors/sip.js';
import { HEP_PROTO_TYPE } from '../../dissectors/hep.js';
import type { PipelineOptions } from '../pipeline/pipeline.js';
import { BoundedMap } from '../pipeline/bounded-map.js';
import { flowKey, pairKeyOf } from '../pipeline/flow-key.js';
import { TcpReassembler } from '../reassembly/tcp-stream.js';
import { HeartbeatDetector } from '../heartbeat/detector.js';
import type { FailoverEvent, HeartbeatEvent } from '../heartbeat/events.js';
import { linkResets, type TcpReset } from '../heartbeat/resets.js';
import type { DetectorParams } from '../heartbeat/params.js';
import { encodeHep, HepEncodeError, type HepMessage } from './encode.js';
import { heartbeatEventHep } from './heartbeat-chunk.js';
import type { HepPacketKind } from './sender.js';

export interface HepSinkOptions {
  captureId: number;
  authKey?: string | null;
  heartbeat?: Partial<DetectorParams>;
  /** The pipeline's options: its SIP TCP ports decide which streams are SIP, here as there. */
  pipeline?: Partial<PipelineOptions>;
}

export interface HepSinkStats {
  sipMessages: number;
  events: number;
  /** TCP messages the pipeline reported whose bytes could not be found in the stream. */
  unframed: number;
}

/** What the sink hands its packets to (a HepSender, or a test's array). */
export type HepPacketOut = {
  send(packet: Uint8Array, kind: HepPacketKind): void;
  dropped(kind: HepPacketKind): void;
};

/** As in src/pipeline/pipeline.ts. */
const DEFAULT_SIP_TCP_PORTS: ReadonlySet<number> = new Set([5060]);
const MAX_STREAMS = 65536;
/** As the pipeline's SIP framer holds at most. */
const MAX_STREAM_BYTES = 256 * 1024;
/** Failovers kept to tie resets to, and resets waiting for a failover. */
const MAX_FAILOVERS = 4096;
const MAX_PENDING_RESETS = 4096;

const CR = 0x0d;
const LF = 0x0a;

/** One direction of a SIP TCP connection: the bytes not yet sent as messages. */
class StreamBytes {
  buf = new Uint8Array(0);
  len = 0;
  /** Bytes still to discard (the body of a message too large for HEP). */
  skip = 0;

  append(chunk: Uint8Array): void {
    let data = chunk;
    if (this.skip > 0) {
      const n = Math.min(this.skip, data.length);
      this.skip -= n;
      data = data.subarray(n);
    }
    if (data.length === 0) return;
    const need = this.len + data.length;
    if (need > this.buf.length) {
      let cap = Math.max(4096, this.buf.length * 2);
      while (cap < need) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
    }
    this.buf.set(data, this.len);
    this.len = need;
    // The pipeline's framer gives up past this too: keep the newest bytes only.
    if (this.len > 2 * MAX_STREAM_BYTES) this.consume(this.len - MAX_STREAM_BYTES);
  }

  consume(n: number): void {
    const k = Math.min(n, this.len);
    this.buf.copyWithin(0, k, this.len);
    this.len -= k;
  }

  clear(): void {
    this.len = 0;
    this.skip = 0;
  }

  /**
   * The next message as the SIP framer cuts it: CRLF keep-alives and lines that
   * cannot start a message are skipped, a message ends where Content-Length says.
   * Returns its bytes (a copy) and consumes them; null when none is complete.
   */
  next(): { bytes: Uint8Array | null; whole: boolean } | null {
    let pos = 0;
    while (pos < this.len) {
      const c = this.buf[pos];
      if (c === CR || c === LF) {
        pos++;
        continue;
      }
      let lf = pos;
      while (lf < this.len && this.buf[lf] !== LF) lf++;
      if (lf >= this.len) break;
      if (!looksLikeSip(this.buf, pos, lf + 1)) {
        pos = lf + 1;
        continue;
      }
      const ext = sipStreamExtent(this.buf, pos, this.len);
      if (ext === null) break;
      const total = ext.headerLength + ext.bodyLength;
      if (total > MAX_STREAM_BYTES) {
        // The framer reports the headers and skips the body; HEP could not carry it anyway.
        const have = Math.min(total, this.len - pos);
        this.consume(pos + have);
        this.skip = total - have;
        return { bytes: null, whole: false };
      }
      if (pos + total > this.len) break;
      const bytes = this.buf.slice(pos, pos + total);
      this.consume(pos + total);
      return { bytes, whole: true };
    }
    return null;
  }
}

export class HepSink {
  readonly stats: HepSinkStats = { sipMessages: 0, events: 0, unframed: 0 };
  readonly detector: HeartbeatDetector;
  private readonly captureId: number;
  private readonly authKey: string | null;
  private readonly sipTcpPorts: ReadonlySet<number>;
  private readonly tcp = new TcpReassembler();
  private readonly streams = new BoundedMap<string, StreamBytes>(MAX_STREAMS);
  private failovers: FailoverEvent[] = [];
  private pendingResets: TcpReset[] = [];
  private lastTime: number | null = null;

  constructor(private readonly out: HepPacketOut, opts: HepSinkOptions) {
    this.captureId = opts.captureId;
    this.authKey = opts.authKey ?? null;
    this.sipTcpPorts = opts.pipeline?.sipTcpPorts ?? DEFAULT_SIP_TCP_PORTS;
    this.detector = new HeartbeatDetector(opts.heartbeat, (e) => this.event(e));
  }

  /** The pipeline consumer. */
  readonly add = (rec: PacketRecord): void => {
    const t = rec.tsSec + rec.tsNsec / 1e9;
    if (this.lastTime === null || t > this.lastTime) this.lastTime = t;
    const ip = rec.ip;
    if (ip && rec.hb && rec.app === 'mds-heartbeat') {
      this.detector.heartbeat({ key: flowKey(rec), src: ip.src, dst: ip.dst, sport: rec.sport, dport: rec.dport }, rec.hb.seq, rec.hb.byteOrder, t);
    } else {
      this.detector.tick(t);
    }
    if (ip && rec.transport === 'tcp' && rec.tcp) {
      if (rec.tcp.flags & TCP_RST && this.pendingResets.length < MAX_PENDING_RESETS) {
        this.pendingResets.push({ time: t, src: ip.src, sport: rec.sport, dst: ip.dst, dport: rec.dport });
      }
      this.tcpSip(rec);
    } else if (ip && rec.sip && rec.sip.length > 0 && rec.payload) {
      this.stats.sipMessages++;
      this.sendSip(rec, rec.payload, rec.sip[0].callId);
    }
    this.settleResets(t, false);
  };

  /** Time passes with no packet (live): failovers during silence are found here. */
  tick(now: number): void {
    this.detector.tick(now);
    this.settleResets(now, false);
  }

  /** End of input at `end` (the last packet's time): trailing silence counts, waiting resets are settled. */
  finish(end: number | null = this.lastTime): void {
    if (end !== null) this.detector.finish(end);
    this.settleResets(Infinity, true);
  }

  private tcpSip(rec: PacketRecord): void {
    const tcp = rec.tcp!;
    const p = rec.payload;
    const key = flowKey(rec);
    let stream = this.streams.get(key);
    if (!stream) {
      // The pipeline's rule for which streams get a SIP framer.
      const sipPort = this.sipTcpPorts.has(rec.sport) || this.sipTcpPorts.has(rec.dport);
      if (!sipPort && !(p && p.length > 0 && looksLikeSip(p, 0, p.length))) return;
      stream = new StreamBytes();
      this.streams.set(key, stream);
    }
    const d = this.tcp.segment(key, tcp.seq, tcp.flags, p ?? new Uint8Array(0), rec.tsSec + rec.tsNsec / 1e9);
    if (d.gapBytes > 0) stream.clear();
    for (const c of d.chunks) stream.append(c);
    for (const m of rec.sip ?? []) {
      this.stats.sipMessages++;
      const got = stream.next();
      if (got === null) {
        this.stats.unframed++;
        this.out.dropped('sip');
        stream.clear();
      } else if (got.bytes === null) {
        this.out.dropped('sip');
      } else {
        this.sendSip(rec, got.bytes, m.callId);
      }
    }
    if (tcp.flags & (TCP_RST | TCP_FIN)) this.streams.delete(key);
  }

  private sendSip(rec: PacketRecord, bytes: Uint8Array, callId: string | null): void {
    const ip = rec.ip!;
    this.emit({
      ipFamily: ip.version,
      ipProto: ip.proto,
      src: ip.src,
      dst: ip.dst,
      sport: rec.sport,
      dport: rec.dport,
      tsSec: rec.tsSec,
      tsUsec: Math.floor(rec.tsNsec / 1000),
      protoType: HEP_PROTO_TYPE.SIP,
      ipTos: (ip.dscp << 2) | ip.ecn,
      captureId: this.captureId,
      authKey: this.authKey,
      correlationId: callId,
      payload: bytes,
    }, 'sip');
  }

  private event(e: HeartbeatEvent): void {
    if (e.type === 'failover') {
      this.failovers.push(e);
      if (this.failovers.length > MAX_FAILOVERS) this.failovers.shift();
    }
    this.stats.events++;
    const m = heartbeatEventHep(e, this.captureId, this.authKey);
    if (m) this.emit(m, 'event');
    else this.out.dropped('event');
  }

  private emit(m: HepMessage, kind: HepPacketKind): void {
    let packet: Uint8Array;
    try {
      packet = encodeHep(m);
    } catch (e) {
      if (e instanceof HepEncodeError) {
        this.out.dropped(kind);
        return;
      }
      throw e;
    }
    this.out.send(packet, kind);
  }

  /**
   * A reset is tied to a failover declared at most a grace before it; such a
   * failover may be declared a grace after its own time, or (proved by sequence
   * numbers alone) a reorder window later. Past that, the reset is settled.
   */
  private settleResets(now: number, all: boolean): void {
    if (this.pendingResets.length === 0) return;
    const p = this.detector.params;
    const wait = (2 * p.graceMs + p.reorderWindowMs) / 1000;
    const due = all ? this.pendingResets : this.pendingResets.filter((r) => now > r.time + wait);
    if (due.length === 0) return;
    this.pendingResets = all ? [] : this.pendingResets.filter((r) => now <= r.time + wait);
    const peers = new Set(this.detector.streamStates().map((s) => pairKeyOf(s.src, s.dst)));
    for (const e of linkResets(this.failovers, due, peers, p)) this.event(e);
  }
}
