// Which UDP flows are MDS heartbeat streams, and in which byte order each
// writes its DWORD. A port in the configured range is enough; elsewhere a flow
// of 4-byte datagrams whose value climbs by one is promoted after a few packets.
//
// State is found by the pipeline's flow id (FlowSlots) and kept by the
// flow's key, so it outlives the id of a flow the flow table let go.

import type { ByteOrder, EarlierHeartbeat } from '../../dissectors/types.js';
import { readDword } from '../../dissectors/mds-heartbeat.js';
import { RecencyMap, type RecencyEntry } from '../common/bounded-map.js';
import { FlowSlots, type FlowTable } from './flow-table.js';

/** Consecutive +1 steps that make a 4-byte flow on another port a heartbeat stream. */
const PROMOTE_AFTER_STEPS = 2;
/** A step this small (in one order and not the other) settles a stream's byte order. */
const MAX_ORDER_STEP = 1000;
const MAX_FLOWS = 65536;

interface FlowState {
  le: number;
  be: number;
  order: ByteOrder | null;
  steps: number;
  heartbeat: boolean;
  /** Its place in the recency order. */
  entry: RecencyEntry<string, FlowState> | null;
  /** Left the table: a cache slot still holding it must not count into it. */
  gone: boolean;
  /** Before promotion: the datagrams of the current run of +1 steps (both readings), oldest first. */
  run: Array<{ le: number; be: number; tsSec: number; tsNsec: number }>;
}

export class HeartbeatStreams {
  private readonly table = new RecencyMap<string, FlowState>();
  private readonly byFlow: FlowSlots<FlowState>;
  /** The last datagram found a heartbeat: its sequence number and byte order. */
  seq = 0;
  order: ByteOrder = 'le';
  /** When the last datagram promoted its flow: the datagrams before it that the promotion rests on. */
  earlier: EarlierHeartbeat[] | null = null;

  constructor(private readonly flows: FlowTable, private readonly forcedOrder: ByteOrder | undefined, private readonly maxFlows = MAX_FLOWS) {
    this.byFlow = new FlowSlots(flows);
  }

  /**
   * A 4-byte UDP payload at b[off..off+4) of `flow`; `known` when its port is
   * a heartbeat port. True when it is a heartbeat, with `seq`, `order` and
   * `earlier` set.
   */
  observe(flow: number, known: boolean, b: Uint8Array, off: number, tsSec: number, tsNsec: number): boolean {
    let st = this.byFlow.get(flow);
    if (st !== undefined && !st.gone) this.table.touch(st.entry!);
    else {
      const key = this.flows.info(flow).key;
      st = this.table.get(key) ?? this.add(key, known);
      this.byFlow.set(flow, st);
    }
    return this.classify(st, known, b, off, tsSec, tsNsec);
  }

  private add(key: string, known: boolean): FlowState {
    const st: FlowState = { le: -1, be: -1, order: null, steps: 0, heartbeat: known, entry: null, gone: false, run: [] };
    st.entry = this.table.set(key, st);
    if (this.table.size > this.maxFlows) {
      const old = this.table.oldestValue()!;
      old.gone = true;
      this.table.delete(old.entry!.key);
    }
    return st;
  }

  private classify(st: FlowState, known: boolean, b: Uint8Array, off: number, tsSec: number, tsNsec: number): boolean {
    const le = readDword(b, off, 'le');
    const be = readDword(b, off, 'be');
    let promoted = false;
    // A new flow's first datagram only sets the values the next one steps from.
    if (st.le >= 0) {
      const dLe = (le - st.le) >>> 0;
      const dBe = (be - st.be) >>> 0;
      const okLe = dLe >= 1 && dLe <= MAX_ORDER_STEP;
      const okBe = dBe >= 1 && dBe <= MAX_ORDER_STEP;
      if (okLe !== okBe && st.order === null) st.order = okLe ? 'le' : 'be';
      st.steps = dLe === 1 || dBe === 1 ? st.steps + 1 : 0;
      if (st.steps >= PROMOTE_AFTER_STEPS && !st.heartbeat) promoted = !known;
      if (st.steps >= PROMOTE_AFTER_STEPS) st.heartbeat = true;
    }
    if (!st.heartbeat) {
      // The run the promotion would rest on: this datagram starts it again when the step broke it.
      if (st.steps === 0) st.run.length = 0;
      st.run.push({ le, be, tsSec, tsNsec });
    }
    st.le = le;
    st.be = be;
    this.earlier = null;
    if (!known && !st.heartbeat) return false;
    const order = this.forcedOrder ?? st.order ?? (le <= be ? 'le' : 'be');
    this.order = order;
    this.seq = order === 'le' ? le : be;
    if (promoted) {
      this.earlier = st.run.map((d) => ({ seq: order === 'le' ? d.le : d.be, tsSec: d.tsSec, tsNsec: d.tsNsec }));
      st.run.length = 0;
    }
    return true;
  }
}
