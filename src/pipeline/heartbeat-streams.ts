// Which UDP flows are MDS heartbeat streams, and in which byte order each
// writes its DWORD. A port in the configured range is enough; elsewhere a flow
// of 4-byte datagrams whose value climbs by one is promoted after a few packets.

import type { ByteOrder, PacketRecord } from '../../dissectors/types.js';
import { readDword } from '../../dissectors/mds-heartbeat.js';
import { BoundedMap } from './bounded-map.js';

/** Consecutive +1 steps that make a 4-byte flow on another port a heartbeat stream. */
const PROMOTE_AFTER_STEPS = 2;
/** A step this small (in one order and not the other) settles a stream's byte order. */
const MAX_ORDER_STEP = 1000;

interface FlowState {
  le: number;
  be: number;
  order: ByteOrder | null;
  steps: number;
  heartbeat: boolean;
}

export class HeartbeatStreams {
  private readonly flows = new BoundedMap<string, FlowState>(65536);

  constructor(private readonly forcedOrder: ByteOrder | undefined) {}

  /** Classify a UDP record with a 4-byte payload; sets rec.app/rec.hb when it is a heartbeat. */
  observe(rec: PacketRecord, key: string): void {
    const p = rec.payload;
    if (!p || p.length !== 4) return;
    const le = readDword(p, 0, 'le');
    const be = readDword(p, 0, 'be');
    let st = this.flows.get(key);
    if (!st) {
      st = { le, be, order: null, steps: 0, heartbeat: rec.app === 'mds-heartbeat' };
      this.flows.set(key, st);
    } else {
      const dLe = (le - st.le) >>> 0;
      const dBe = (be - st.be) >>> 0;
      const okLe = dLe >= 1 && dLe <= MAX_ORDER_STEP;
      const okBe = dBe >= 1 && dBe <= MAX_ORDER_STEP;
      if (okLe !== okBe && st.order === null) st.order = okLe ? 'le' : 'be';
      st.steps = dLe === 1 || dBe === 1 ? st.steps + 1 : 0;
      if (st.steps >= PROMOTE_AFTER_STEPS) st.heartbeat = true;
      st.le = le;
      st.be = be;
    }
    if (rec.app === 'mds-heartbeat' || st.heartbeat) {
      const order = this.forcedOrder ?? st.order ?? rec.hb?.byteOrder ?? (le <= be ? 'le' : 'be');
      rec.app = 'mds-heartbeat';
      rec.hb = { seq: order === 'le' ? le : be, byteOrder: order };
    }
  }
}
