// The one table that decides what a non-SIP UDP datagram carries, consulted
// alike by the lane read in place and by records (IPv6 behind tunnels,
// reassembled datagrams, runs with record consumers): a heartbeat by its
// port or by its shape (a flow of 4-byte datagrams counting up, counted from
// its first datagram once promoted), RTP on an endpoint SDP announced or by
// its header's shape where SDP said nothing, RTCP left to a record (the media
// analyzer reads it whole). The dissector's own rules come first on both
// paths (dissectors/frame.ts): SIP by its start line, always a record; a
// heartbeat port as the dissector names it.

import type { PacketRecord } from '../../dissectors/types.js';
import { looksLikeRtp, rtpHeaderLength } from '../../dissectors/rtp.js';
import { onHeartbeatPort } from '../../dissectors/frame.js';
import { FlowSlots, type FlowTable } from './flow-table.js';
import { HeartbeatStreams } from './heartbeat-streams.js';
import { SdpEndpoints } from './sdp-endpoints.js';
import { BATCH_HEARTBEAT, BATCH_NONE, BATCH_RTP } from './udp-batch.js';
import type { ByteOrder } from '../../dissectors/types.js';

/** A datagram only a record serves (RTCP). */
export const CLASS_RECORD = -1;

/** What SDP said of a flow's endpoints: nothing, RTP, or other media (T.38 over udptl). */
const SDP_SILENT = 0;
const SDP_RTP = 1;
const SDP_OTHER = 2;

export class DatagramClassifier {
  readonly heartbeats: HeartbeatStreams;
  /** The endpoints SDP announced as media, shared with the analyzers that read them (the DSCP audit, media). */
  readonly sdp: SdpEndpoints;
  /** By flow: epoch << 2 | SDP_*; an entry of an older epoch is stale (SDP taught something since). */
  private readonly sdpByFlow: FlowSlots<number>;

  /** `maxSdpEndpoints`: the SDP endpoint table's bound (MAX_SDP_ENDPOINTS). */
  constructor(private readonly flows: FlowTable, private readonly heartbeatPorts: readonly [number, number], order: ByteOrder | undefined, maxSdpEndpoints?: number) {
    this.sdp = new SdpEndpoints(maxSdpEndpoints);
    this.heartbeats = new HeartbeatStreams(flows, order);
    this.sdpByFlow = new FlowSlots(flows);
  }

  /** Either port in the heartbeat range: a 4-byte payload there is a heartbeat, whatever its value (the dissector's own rule). */
  onHeartbeatPort(sport: number, dport: number): boolean {
    return onHeartbeatPort(sport, dport, this.heartbeatPorts);
  }

  /**
   * BATCH_* (or CLASS_RECORD) for the UDP payload b[p..end) of `flow`, not
   * SIP; `known`: on a heartbeat port. A heartbeat leaves its sequence number,
   * byte order and earlier datagrams in `heartbeats`.
   */
  datagram(flow: number, sport: number, dport: number, known: boolean, b: Uint8Array, p: number, end: number, tsSec: number, tsNsec: number): number {
    if (end - p === 4) return this.heartbeats.observe(flow, known, b, p, tsSec, tsNsec) ? BATCH_HEARTBEAT : BATCH_NONE;
    const sdp = this.sdp.size > 0 ? this.sdpSays(flow) : SDP_SILENT;
    if (sdp === SDP_RTP ? rtpHeaderLength(b, p, end) > 0 : sdp === SDP_SILENT && looksLikeRtp(sport, dport, b, p, end)) return BATCH_RTP;
    // RTCP's shape (version 2, packet type 200..207): the media analyzer reads it whole.
    return end - p >= 2 && b[p] >= 0x80 && b[p] < 0xc0 && b[p + 1] >= 200 && b[p + 1] <= 207 ? CLASS_RECORD : BATCH_NONE;
  }

  /** What SDP announced for the flow's destination, or else its source (SDP_*), cached by flow. */
  private sdpSays(flow: number): number {
    const cached = this.sdpByFlow.get(flow);
    const epoch = this.sdp.epoch;
    if (cached !== undefined && cached >> 2 === epoch) return cached & 3;
    const f = this.flows.info(flow);
    const e = this.sdp.at(f.dst, f.dport) ?? this.sdp.at(f.src, f.sport);
    const sdp = e === undefined ? SDP_SILENT : e.rtp ? SDP_RTP : SDP_OTHER;
    this.sdpByFlow.set(flow, (epoch << 2) | sdp);
    return sdp;
  }

  /** Endpoints the record's SDP announced. */
  learn(rec: PacketRecord): void {
    this.sdp.learn(rec);
  }
}
