// Which UDP flows are MDS heartbeat streams, and in which byte order each
// writes its DWORD. A port in the configured range is enough; elsewhere a flow
// of 4-byte datagrams whose value climbs by one is promoted after a few packets.
//
// State is kept by the pipeline's flow id in typed columns (a port scan's
// 4-byte probes make no object each), and starts over when the id names a new
// flow (its generation moved on): the flow table's eviction is its only bound.

import type { ByteOrder, EarlierHeartbeat } from '../../dissectors/types.js';
import { readDword } from '../../dissectors/mds-heartbeat.js';
import type { FlowTable } from './flow-table.js';

/** Consecutive +1 steps that make a 4-byte flow on another port a heartbeat stream. */
const PROMOTE_AFTER_STEPS = 2;
/** A step this small (in one order and not the other) settles a stream's byte order. */
const MAX_ORDER_STEP = 1000;
/** The datagrams a promotion rests on: the run of +1 steps before it holds at most this many. */
const RUN = PROMOTE_AFTER_STEPS;

/** `flags` bits by flow: a value seen (le/be hold it), promoted or on a heartbeat port, its byte order settled and which. */
const SEEN = 1;
const HEARTBEAT = 2;
const ORDER_KNOWN = 4;
const ORDER_BE = 8;

export class HeartbeatStreams {
  /** By flow id: the generation the columns were set for (flows.generation), then the flow's state. */
  private readonly gen: Uint32Array;
  private readonly flags: Uint8Array;
  /** The last datagram's value read both ways. */
  private readonly le: Uint32Array;
  private readonly be: Uint32Array;
  /** Consecutive +1 steps (saturating: only "at least PROMOTE_AFTER_STEPS" matters). */
  private readonly steps: Uint8Array;
  /** Before promotion: the datagrams of the current run of +1 steps (both readings and time), RUN slots per flow, oldest first. */
  private readonly runLength: Uint8Array;
  private readonly runLe: Uint32Array;
  private readonly runBe: Uint32Array;
  private readonly runSec: Float64Array;
  private readonly runNsec: Float64Array;
  /** The last datagram found a heartbeat: its sequence number and byte order. */
  seq = 0;
  order: ByteOrder = 'le';
  /** When the last datagram promoted its flow: the datagrams before it that the promotion rests on. */
  earlier: EarlierHeartbeat[] | null = null;

  constructor(private readonly flows: FlowTable, private readonly forcedOrder: ByteOrder | undefined) {
    const n = flows.capacity;
    this.gen = new Uint32Array(n);
    this.flags = new Uint8Array(n);
    this.le = new Uint32Array(n);
    this.be = new Uint32Array(n);
    this.steps = new Uint8Array(n);
    this.runLength = new Uint8Array(n);
    this.runLe = new Uint32Array(n * RUN);
    this.runBe = new Uint32Array(n * RUN);
    this.runSec = new Float64Array(n * RUN);
    this.runNsec = new Float64Array(n * RUN);
  }

  /**
   * A 4-byte UDP payload at b[off..off+4) of `flow`; `known` when its port is
   * a heartbeat port. True when it is a heartbeat, with `seq`, `order` and
   * `earlier` set.
   */
  observe(flow: number, known: boolean, b: Uint8Array, off: number, tsSec: number, tsNsec: number): boolean {
    const generation = this.flows.generation[flow];
    if (this.gen[flow] !== generation) {
      // A new flow (or a new one under a reused id): its state starts over.
      this.gen[flow] = generation;
      this.flags[flow] = known ? HEARTBEAT : 0;
      this.steps[flow] = 0;
      this.runLength[flow] = 0;
    }
    const le = readDword(b, off, 'le');
    const be = readDword(b, off, 'be');
    let flags = this.flags[flow];
    let promoted = false;
    // A new flow's first datagram only sets the values the next one steps from.
    if ((flags & SEEN) !== 0) {
      const dLe = (le - this.le[flow]) >>> 0;
      const dBe = (be - this.be[flow]) >>> 0;
      const okLe = dLe >= 1 && dLe <= MAX_ORDER_STEP;
      const okBe = dBe >= 1 && dBe <= MAX_ORDER_STEP;
      if (okLe !== okBe && (flags & ORDER_KNOWN) === 0) flags |= okLe ? ORDER_KNOWN : ORDER_KNOWN | ORDER_BE;
      const steps = dLe === 1 || dBe === 1 ? Math.min(this.steps[flow] + 1, 255) : 0;
      this.steps[flow] = steps;
      if (steps >= PROMOTE_AFTER_STEPS) {
        if ((flags & HEARTBEAT) === 0) promoted = !known;
        flags |= HEARTBEAT;
      }
    }
    if ((flags & HEARTBEAT) === 0) {
      // The run the promotion would rest on: this datagram starts it again when the step broke it.
      const n = this.steps[flow] === 0 ? 0 : this.runLength[flow];
      const r = flow * RUN + n;
      this.runLe[r] = le;
      this.runBe[r] = be;
      this.runSec[r] = tsSec;
      this.runNsec[r] = tsNsec;
      this.runLength[flow] = n + 1;
    }
    this.le[flow] = le;
    this.be[flow] = be;
    this.flags[flow] = flags | SEEN;
    this.earlier = null;
    if (!known && (flags & HEARTBEAT) === 0) return false;
    const order = this.forcedOrder ?? ((flags & ORDER_KNOWN) !== 0 ? ((flags & ORDER_BE) !== 0 ? 'be' : 'le') : le <= be ? 'le' : 'be');
    this.order = order;
    this.seq = order === 'le' ? le : be;
    if (promoted) {
      const earlier: EarlierHeartbeat[] = [];
      for (let k = 0, r = flow * RUN; k < this.runLength[flow]; k++, r++) {
        earlier.push({ seq: order === 'le' ? this.runLe[r] : this.runBe[r], tsSec: this.runSec[r], tsNsec: this.runNsec[r] });
      }
      this.earlier = earlier;
      this.runLength[flow] = 0;
    }
    return true;
  }
}
