// The pipeline's fast lane: plain UDP datagrams (whole IPv4 behind Ethernet,
// VLAN tags, Linux cooked or raw IP; not SIP: media, heartbeats and other
// binary UDP, nearly every packet of a UC capture) go to the consumers that
// can take them as runs of numbers instead of one record each. No record,
// view or string is made for them; a consumer changes for each entry exactly
// as it would for the record of that datagram, and sees entries and records
// in capture order (the pipeline hands on the batch before any record that
// follows it).

import type { AppName, ByteOrder, EarlierHeartbeat } from '../../dissectors/types.js';
import type { PacketRecord } from '../../dissectors/types.js';

/** A consumer of records: every analyzer takes these. */
export type RecordConsumer = (rec: PacketRecord) => void;

export const UDP_BATCH_CAPACITY = 4096;

/** Datagrams in arrival order, as columns; reused, valid only during addUdpBatch. */
export class UdpBatch {
  length = 0;
  /** The latest timestamp among the entries (capture files are not always in time order). */
  latestSec = 0;
  latestNsec = 0;
  readonly tsSec = new Float64Array(UDP_BATCH_CAPACITY);
  readonly tsNsec = new Float64Array(UDP_BATCH_CAPACITY);
  /** IPv4 addresses as the header's 32 bits (Ipv4Header.srcAddr / dstAddr). */
  readonly src = new Int32Array(UDP_BATCH_CAPACITY);
  readonly dst = new Int32Array(UDP_BATCH_CAPACITY);
  readonly sport = new Uint16Array(UDP_BATCH_CAPACITY);
  readonly dport = new Uint16Array(UDP_BATCH_CAPACITY);
  /** The IPv4 TOS byte: DSCP << 2 | ECN. */
  readonly tos = new Uint8Array(UDP_BATCH_CAPACITY);
  /** 1 when the Ethernet frame carried VLAN tags (the record's `vlans` not null). */
  readonly vlanTagged = new Uint8Array(UDP_BATCH_CAPACITY);
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

/** A consumer that takes the fast lane's batches as well as records. */
export interface BatchConsumer {
  readonly add: RecordConsumer;
  /** Each entry must change the consumer exactly as `add` would the record of that datagram. */
  addUdpBatch(batch: UdpBatch): void;
}
