// The pipeline's one datagram lane: every whole UDP datagram that is not SIP
// (media, heartbeats, other binary UDP: nearly every packet of a UC capture),
// over IPv4 or IPv6, reaches the analyzers as one entry of these columns, and
// only so. The pipeline fills an entry either straight from the frame's bytes
// (no record made) or from the record it had to make anyway (a tunnel, a
// reassembled datagram, a run with a consumer of records): the record of a
// datagram in the lane does not go to a BatchConsumer's `add`, which sees
// only what needs whole records (SIP, TCP, RTCP, fragments, errors). So no
// analyzer counts a datagram in two ways. Entries and records reach each
// consumer in capture order (the lane is handed on before any such record).

import type { AppName, ByteOrder, EarlierHeartbeat } from '../../dissectors/types.js';
import type { PacketRecord } from '../../dissectors/types.js';
import type { SdpEndpoints } from './sdp-endpoints.js';
import type { FlowTable } from './flow-table.js';

/** A consumer of records: printers and the consumers that need whole messages take these. */
export type RecordConsumer = (rec: PacketRecord) => void;

export const UDP_BATCH_CAPACITY = 4096;

/** Datagrams in arrival order, as columns; reused, valid only during addUdpBatch. */
export class UdpBatch {
  length = 0;
  /** The latest timestamp among the entries (capture files are not always in time order). */
  latestSec = 0;
  latestNsec = 0;
  readonly tsSec = new Float64Array(UDP_BATCH_CAPACITY);
  /** The frame's number in the capture (what orders first sightings across the parts of a split file). */
  readonly frameNo = new Float64Array(UDP_BATCH_CAPACITY);
  readonly tsNsec = new Float64Array(UDP_BATCH_CAPACITY);
  /** The flow id in `flows` (its key, endpoints and reverse by `flows.info`). */
  readonly flow = new Int32Array(UDP_BATCH_CAPACITY);
  /** The IPv4 TOS byte or the IPv6 traffic class: DSCP << 2 | ECN. */
  readonly tos = new Uint8Array(UDP_BATCH_CAPACITY);
  /** 1 for IPv6, 0 for IPv4. */
  readonly ipv6 = new Uint8Array(UDP_BATCH_CAPACITY);
  /** 1 when the Ethernet frame carried VLAN tags (the record's `vlans` not null). */
  readonly vlanTagged = new Uint8Array(UDP_BATCH_CAPACITY);
  /** The UDP payload's length in bytes. */
  readonly payloadLength = new Uint32Array(UDP_BATCH_CAPACITY);
  /** BATCH_* : the application the record of the datagram would name. */
  readonly app = new Uint8Array(UDP_BATCH_CAPACITY);
  /** For a heartbeat: its sequence number and byte order (the record's `hb`). */
  readonly hbSeq = new Uint32Array(UDP_BATCH_CAPACITY);
  readonly hbBigEndian = new Uint8Array(UDP_BATCH_CAPACITY);
  /** By entry: the heartbeats a shape-recognised stream's promotion rests on (the record's `hb.earlier`); rare. */
  readonly hbEarlier = new Map<number, EarlierHeartbeat[]>();
  /** For RTP: the fixed header's fields (the record's `rtp`), so media statistics need no record. */
  readonly rtpSeq = new Uint16Array(UDP_BATCH_CAPACITY);
  readonly rtpTimestamp = new Uint32Array(UDP_BATCH_CAPACITY);
  readonly rtpSsrc = new Uint32Array(UDP_BATCH_CAPACITY);
  /** Marker bit << 7 | payload type: the header's second byte. */
  readonly rtpMarkerPt = new Uint8Array(UDP_BATCH_CAPACITY);

  /** `flows`: the pipeline's flow table, which the `flow` column indexes. */
  constructor(readonly flows: FlowTable) {}
}

/** The record's app null. */
export const BATCH_NONE = 0;
export const BATCH_RTP = 1;
export const BATCH_HEARTBEAT = 2;

const APP_NAMES: ReadonlyArray<AppName | null> = [null, 'rtp', 'mds-heartbeat'];

export function batchAppName(app: number): AppName | null {
  return APP_NAMES[app];
}

export function batchByteOrder(batch: UdpBatch, i: number): ByteOrder {
  return batch.hbBigEndian[i] === 1 ? 'be' : 'le';
}

/** A consumer of the lane, and of the records that are not in it. */
export interface BatchConsumer {
  /** Records of what is not in the lane (SIP, TCP, RTCP, fragments, errors, non-IP); their `flow` indexes the same table. */
  readonly add: RecordConsumer;
  addUdpBatch(batch: UdpBatch): void;
  /** Told the pipeline's flow table once, before any packet (for per-flow state by id). */
  useFlows?(flows: FlowTable): void;
  /** Told the pipeline's table of SDP media endpoints once, before any packet: the pipeline learns every record's SDP into it before the consumers see the record. */
  useSdpEndpoints?(sdp: SdpEndpoints): void;
}
