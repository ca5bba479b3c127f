// Which UDP flows are MDS heartbeat streams, and in which byte order each
// writes its DWORD. A port in the configured range is enough; elsewhere a flow
// of 4-byte datagrams whose value climbs by one is promoted after a few packets.
//
// Records find their flow by its key; the fast lane finds the same state by
// the flow's numbers (Ipv4FlowCache), so both paths see one state per flow.

import type { ByteOrder, EarlierHeartbeat, PacketRecord } from '../../dissectors/types.js';
import { readDword } from '../../dissectors/mds-heartbeat.js';
import { ipv4Text } from '../../dissectors/ipv4.js';
import { IPPROTO_UDP } from '../../dissectors/frame.js';
import { RecencyMap, type RecencyEntry } from '../common/bounded-map.js';
import { flowKeyOf } from './flow-key.js';
import { Ipv4FlowCache } from './ipv4-flow-cache.js';

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
  private readonly flows = new RecencyMap<string, FlowState>();
  private readonly cache = new Ipv4FlowCache<FlowState>();
  /** The last datagram found a heartbeat: its sequence number and byte order. */
  seq = 0;
  order: ByteOrder = 'le';
  /** When the last datagram promoted its flow: the datagrams before it that the promotion rests on. */
  earlier: EarlierHeartbeat[] | null = null;

  constructor(private readonly forcedOrder: ByteOrder | undefined, private readonly maxFlows = MAX_FLOWS) {}

  /** Classify a UDP record with a 4-byte payload; sets rec.app/rec.hb when it is a heartbeat. */
  observe(rec: PacketRecord, key: string): void {
    const p = rec.payload;
    if (!p || p.length !== 4) return;
    const known = rec.app === 'mds-heartbeat';
    if (this.classify(this.flows.get(key) ?? this.add(key, known), known, p, 0, rec.tsSec, rec.tsNsec)) {
      rec.app = 'mds-heartbeat';
      rec.hb = this.earlier ? { seq: this.seq, byteOrder: this.order, earlier: this.earlier } : { seq: this.seq, byteOrder: this.order };
    }
  }

  /**
   * The fast lane's form of observe: an IPv4 flow by its numbers, the 4-byte
   * payload at b[off..off+4), `known` when its port is a heartbeat port.
   * True when it is a heartbeat, with `seq` and `order` set.
   */
  observeIpv4(src4: number, dst4: number, sport: number, dport: number, known: boolean, b: Uint8Array, off: number, tsSec: number, tsNsec: number): boolean {
    let st = this.cache.get(IPPROTO_UDP, src4, dst4, sport, dport);
    if (st !== undefined && !st.gone) this.flows.touch(st.entry!);
    else {
      const key = flowKeyOf(ipv4Text(src4), sport, ipv4Text(dst4), dport);
      st = this.flows.get(key) ?? this.add(key, known);
      this.cache.set(IPPROTO_UDP, src4, dst4, sport, dport, st);
    }
    return this.classify(st, known, b, off, tsSec, tsNsec);
  }

  private add(key: string, known: boolean): FlowState {
    const st: FlowState = { le: -1, be: -1, order: null, steps: 0, heartbeat: known, entry: null, gone: false, run: [] };
    st.entry = this.flows.set(key, st);
    if (this.flows.size > this.maxFlows) {
      const old = this.flows.oldestValue()!;
      old.gone = true;
      this.flows.delete(old.entry!.key);
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
