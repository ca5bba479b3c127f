// The pipeline's fast lane: plain UDP datagrams (untagged Ethernet, whole
// IPv4, neither heartbeat nor SIP: media and other binary UDP, nearly every
// packet of a UC capture) go to the consumers that can take them as runs of
// numbers instead of one record each. No record, view or string is made for
// them; a consumer changes for each entry exactly as it would for the
// record of that datagram, and sees entries and records in capture order
// (the pipeline hands on the batch before any record that follows it).

import type { RecordConsumer } from './pipeline.js';

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
  /** 1 when the datagram is RTP (the record's app 'rtp'), 0 when it is no application (app null). */
  readonly rtp = new Uint8Array(UDP_BATCH_CAPACITY);
}

/** A consumer that takes the fast lane's batches as well as records. */
export interface BatchConsumer {
  readonly add: RecordConsumer;
  /** Each entry must change the consumer exactly as `add` would the record of that datagram. */
  addUdpBatch(batch: UdpBatch): void;
}
