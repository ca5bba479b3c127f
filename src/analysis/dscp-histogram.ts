// DSCP values seen per application (and per transport for the rest): the
// first look at whether signaling is CS3 and media EF.

import type { PacketRecord } from '../../dissectors/types.js';
import { BATCH_HEARTBEAT, BATCH_RTP, type BatchConsumer, type UdpBatch } from '../pipeline/udp-batch.js';

/** application or transport -> DSCP value -> packets */
export type DscpHistogram = Record<string, Record<number, number>>;

export function applicationOf(rec: PacketRecord): string {
  if (rec.app) return rec.app;
  if (rec.transport) return `other-${rec.transport}`;
  return 'other-ip';
}

/** The applications every record maps to, each with a row of 64 counters. */
const ROWS = ['mds-heartbeat', 'sip', 'rtp', 'other-udp', 'other-tcp', 'other-ip'] as const;
const ROW_HEARTBEAT = 0;
const ROW_RTP = 2;
const ROW_OTHER_UDP = 3;
const DSCP_VALUES = 64;

/** Row of a fast-lane entry by its BATCH_* application. */
function batchRow(app: number): number {
  return app === BATCH_RTP ? ROW_RTP : app === BATCH_HEARTBEAT ? ROW_HEARTBEAT : ROW_OTHER_UDP;
}

/** Row of a record, -1 when applicationOf would name something outside ROWS. */
function rowOf(rec: PacketRecord): number {
  switch (rec.app) {
    case 'mds-heartbeat': return ROW_HEARTBEAT;
    case 'sip': return 1;
    case 'rtp': return ROW_RTP;
    case null:
      switch (rec.transport) {
        case 'udp': return ROW_OTHER_UDP;
        case 'tcp': return 4;
        case null: return 5;
        default: return -1;
      }
    default: return -1;
  }
}

export class DscpCounter implements BatchConsumer {
  /** Counts per (row, DSCP) in a flat array: no string keys built per packet. */
  private readonly counts = new Float64Array(ROWS.length * DSCP_VALUES);
  /** Rows in the order they were first seen (the histogram's key order). */
  private readonly order: string[] = [];
  /** The frame number that first showed each application, in `order`'s order (the merge of a split file orders by it). */
  readonly firstFrames: number[] = [];
  private readonly seen = new Uint8Array(ROWS.length);
  /** Anything outside the table (a DSCP beyond 0..63, an unknown name). */
  private readonly other: DscpHistogram = {};

  readonly add = (rec: PacketRecord): void => {
    const ip = rec.ip;
    if (!ip) return;
    const d = ip.dscp;
    const row = rowOf(rec);
    if (row >= 0 && d >= 0 && d < DSCP_VALUES && Number.isInteger(d)) {
      this.count(row, d, rec.frame);
      return;
    }
    const app = applicationOf(rec);
    if (!(app in this.other) && !this.order.includes(app)) {
      this.order.push(app);
      this.firstFrames.push(rec.frame);
    }
    const h = (this.other[app] ??= {});
    h[d] = (h[d] ?? 0) + 1;
  };

  /** Each entry is UDP over IPv4 or IPv6: RTP, a heartbeat or other-udp, its DSCP the TOS byte's (or traffic class's) upper six bits. */
  addUdpBatch(batch: UdpBatch): void {
    for (let i = 0; i < batch.length; i++) this.count(batchRow(batch.app[i]), batch.tos[i] >> 2, batch.frameNo[i]);
  }

  private count(row: number, dscp: number, frame: number): void {
    if (this.seen[row] === 0) {
      this.seen[row] = 1;
      if (!(ROWS[row] in this.other)) {
        this.order.push(ROWS[row]);
        this.firstFrames.push(frame);
      }
    }
    this.counts[row * DSCP_VALUES + dscp]++;
  }

  /** application or transport -> DSCP value -> packets, applications in first-seen order. */
  get histogram(): DscpHistogram {
    const out: DscpHistogram = {};
    for (const app of this.order) {
      const h: Record<number, number> = {};
      const row = (ROWS as readonly string[]).indexOf(app);
      if (row >= 0) {
        for (let d = 0; d < DSCP_VALUES; d++) {
          const n = this.counts[row * DSCP_VALUES + d];
          if (n > 0) h[d] = n;
        }
      }
      const extra = this.other[app];
      if (extra) for (const [k, n] of Object.entries(extra)) h[k as unknown as number] = (h[k as unknown as number] ?? 0) + n;
      out[app] = h;
    }
    return out;
  }
}
