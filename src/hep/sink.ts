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
// On TCP each message's bytes are the ones the pipeline's SIP framer cut out
// of the reassembled stream (SipMessage.raw), so what is sent is byte for
// byte what was on the wire.

import type { PacketRecord } from '../../dissectors/types.js';
import { TCP_RST } from '../../dissectors/types.js';
import { HEP_PROTO_TYPE } from '../../dissectors/hep.js';
import { flowKey, pairKeyOf } from '../pipeline/flow-key.js';
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
}

export interface HepSinkStats {
  sipMessages: number;
  events: number;
}

/** What the sink hands its packets to (a HepSender, or a test's array). */
export type HepPacketOut = {
  send(packet: Uint8Array, kind: HepPacketKind): void;
  dropped(kind: HepPacketKind): void;
};

/** Failovers kept to tie resets to, and resets waiting for a failover. */
const MAX_FAILOVERS = 4096;
const MAX_PENDING_RESETS = 4096;

export class HepSink {
  readonly stats: HepSinkStats = { sipMessages: 0, events: 0 };
  readonly detector: HeartbeatDetector;
  private readonly captureId: number;
  private readonly authKey: string | null;
  private failovers: FailoverEvent[] = [];
  private pendingResets: TcpReset[] = [];
  private lastTime: number | null = null;

  constructor(private readonly out: HepPacketOut, opts: HepSinkOptions) {
    this.captureId = opts.captureId;
    this.authKey = opts.authKey ?? null;
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

  /** Each message the pipeline framed out of the stream, with its bytes as they were on the wire. */
  private tcpSip(rec: PacketRecord): void {
    for (const m of rec.sip ?? []) {
      this.stats.sipMessages++;
      if (m.raw === null) this.out.dropped('sip'); // its body was past the framer's limit, and HEP's
      else this.sendSip(rec, m.raw, m.callId);
    }
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
