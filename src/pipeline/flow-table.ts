// The pipeline's flow table: each direction of a UDP or TCP 5-tuple (IPv4 or
// IPv6) is interned once, where packets enter, as a small number. The lane's
// `flow` column and a record's `flow` hold it; analyzers key per-flow state
// on it (FlowSlots) instead of rebuilding address text and a string key per
// packet. What a flow is by name (its "src:sport>dst:dport" key, endpoints,
// reverse, host pair) is made once per flow, on first asking.
//
// One bounded table, one eviction policy: CLOCK (second chance) over the ids,
// so a flow that keeps sending keeps its id and a port scan's one-packet
// flows recycle theirs (a flow seen once has no second chance yet). This is
// the only bound on per-flow state: analyzers keep it by id (FlowSlots, or
// typed arrays checked against `generation`), and when the table lets a flow
// go its listeners hear of it first (the DSCP audit judges the flow, the
// connection table hands it over) before the id is given to a new flow with
// its generation bumped.

import type { IpHeader, PacketRecord } from '../../dissectors/types.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../dissectors/frame.js';
import { Ipv4Header, ipv4Number, ipv4Text } from '../../dissectors/ipv4.js';
import { Ipv6Header, ipv6Text, parseIpv6 } from '../../dissectors/ipv6.js';
import { i32 } from '../../dissectors/ip-header.js';
import { flowKeyOf, pairKeyOf, endpoint, type FlowId } from './flow-key.js';

/** Enough for every per-flow table of the analyzers (the largest holds 65,536 heartbeat streams). */
export const DEFAULT_FLOW_CAPACITY = 65536;
/** The index's first size: one page, a quarter full at 256 flows. */
const INITIAL_INDEX_SIZE = 1024;
/** No flow (not UDP or TCP, or not interned). */
export const NO_FLOW = -1;

/** Key words per flow: protocol and IP version, ports, then the two addresses as four 32-bit words each. */
const STRIDE = 10;
const K_META = 0;
const K_PORTS = 1;
const K_SRC = 2;
const K_DST = 6;

/** A flow by name, made once per flow id (the reverse and pair keys on first asking). */
export class FlowInfo {
  private reverse: string | null = null;
  private pair: string | null = null;
  private plain: FlowId | null = null;

  constructor(
    /** "src:sport>dst:dport" (flow-key.ts), the name every analyzer uses. */
    readonly key: string,
    readonly src: string,
    readonly dst: string,
    readonly sport: number,
    readonly dport: number,
    /** The IP protocol number (17 UDP, 6 TCP) and version. */
    readonly proto: number,
    readonly version: 4 | 6,
  ) {}

  /** The other direction's key. */
  get reverseKey(): string {
    return (this.reverse ??= flowKeyOf(this.dst, this.dport, this.src, this.sport));
  }

  /** The flow as a plain FlowId (what reports spread into their rows). */
  get id(): FlowId {
    return (this.plain ??= { key: this.key, src: this.src, dst: this.dst, sport: this.sport, dport: this.dport });
  }

  /** The order-free key of the two endpoints. */
  get pairKey(): string {
    return (this.pair ??= pairKeyOf(endpoint(this.src, this.sport), endpoint(this.dst, this.dport)));
  }
}

export interface FlowTableStats {
  /** Flows interned, evictions among them, and the table's bound. */
  interned: number;
  evicted: number;
  capacity: number;
}

/** Told of an id leaving the table, while it still names the flow that leaves (info() still answers for it). */
export type FlowEvicted = (id: number) => void;

export class FlowTable {
  readonly capacity: number;
  /** By id: bumped each time the id is given to a new flow (FlowSlots compare against it). */
  readonly generation: Uint32Array;
  readonly stats: FlowTableStats;
  private readonly keys: Int32Array;
  /**
   * Open addressing, linear probing: id + 1 per slot, 0 empty. At most a
   * quarter full: it grows with the flows held (to 4 x capacity), so the few
   * hundred flows of a busy link are found in a few pages, not across the
   * megabyte a full table needs (a packet's lookup missed the cache and TLB).
   */
  private index: Int32Array;
  private mask: number;
  private readonly maxIndexSize: number;
  /** By id: its slot in `index` (for deletion), its CLOCK reference bit. */
  private readonly slotOf: Int32Array;
  private readonly referenced: Uint8Array;
  /**
   * By id: its key's hash. A probe compares it before the key words, and a
   * deletion finds an entry's home slot by it: a port scan's every packet
   * probes and deletes, and reading the key words of the entries passed (ten
   * words each, from 2.6 MB of them) missed the cache each time.
   */
  private readonly hashes: Int32Array;
  private readonly infos: Array<FlowInfo | undefined>;
  private used = 0;
  private hand = 0;
  private readonly evictedListeners: FlowEvicted[] = [];
  /** The key being looked up, as words (a scratch row). */
  private readonly probe = new Int32Array(STRIDE);
  private readonly reverseProbe = new Int32Array(STRIDE);

  constructor(capacity = DEFAULT_FLOW_CAPACITY) {
    this.capacity = capacity;
    this.generation = new Uint32Array(capacity);
    this.keys = new Int32Array(capacity * STRIDE);
    let size = 4;
    while (size < capacity * 4) size *= 2;
    this.maxIndexSize = size;
    size = Math.min(size, INITIAL_INDEX_SIZE);
    this.index = new Int32Array(size);
    this.mask = size - 1;
    this.slotOf = new Int32Array(capacity);
    this.referenced = new Uint8Array(capacity);
    this.hashes = new Int32Array(capacity);
    this.infos = new Array<FlowInfo | undefined>(capacity).fill(undefined);
    this.stats = { interned: 0, evicted: 0, capacity };
  }

  /**
   * An IPv4 flow by the header's 32-bit addresses. Nearly every packet comes
   * here: a known flow is found from the five numbers themselves, with no
   * probe row written, hashed or compared word by word (an IPv4 key's upper
   * address words are always 0, so its meta word, which holds the version,
   * settles them).
   */
  ipv4(proto: number, src4: number, dst4: number, sport: number, dport: number): number {
    const meta = (4 << 8) | proto;
    const ports = (sport << 16) | dport;
    const keys = this.keys;
    const hashes = this.hashes;
    const index = this.index;
    const mask = this.mask;
    const h = hashIpv4(meta, ports, src4, dst4);
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = index[s];
      if (e === 0) break;
      if (hashes[e - 1] !== h) continue;
      const o = (e - 1) * STRIDE;
      if (keys[o + K_PORTS] === ports && keys[o + K_SRC + 3] === src4 && keys[o + K_DST + 3] === dst4 && keys[o + K_META] === meta) {
        this.referenced[e - 1] = 1;
        return e - 1;
      }
    }
    const k = this.probe;
    k[K_META] = meta;
    k[K_PORTS] = ports;
    k[K_SRC] = 0; k[K_SRC + 1] = 0; k[K_SRC + 2] = 0; k[K_SRC + 3] = src4;
    k[K_DST] = 0; k[K_DST + 1] = 0; k[K_DST + 2] = 0; k[K_DST + 3] = dst4;
    return this.add();
  }

  /** An IPv6 flow whose addresses are b[src..src+16) and b[dst..dst+16), in place. */
  ipv6(proto: number, b: Uint8Array, src: number, dst: number, sport: number, dport: number): number {
    const k = this.probe;
    k[K_META] = (6 << 8) | proto;
    k[K_PORTS] = (sport << 16) | dport;
    for (let w = 0; w < 4; w++) {
      k[K_SRC + w] = i32(b, src + 4 * w);
      k[K_DST + w] = i32(b, dst + 4 * w);
    }
    return this.intern();
  }

  /** The flow of a record's innermost IP header and ports (a plain header, as HEP makes, is read from its text). */
  ofHeader(proto: number, ip: IpHeader, sport: number, dport: number): number {
    if (ip instanceof Ipv4Header) return this.ipv4(proto, ip.srcAddr, ip.dstAddr, sport, dport);
    const k = this.probe;
    k[K_META] = ((ip.version === 6 ? 6 : 4) << 8) | proto;
    k[K_PORTS] = (sport << 16) | dport;
    if (ip instanceof Ipv6Header) ip.addressWords(k, K_SRC, K_DST);
    else if (!textWords(ip.version, ip.src, k, K_SRC) || !textWords(ip.version, ip.dst, k, K_DST)) return NO_FLOW;
    return this.intern();
  }

  /**
   * A record's flow here: the `flow` the pipeline gave it, this being the
   * pipeline's table; or, `own` (the table of a consumer fed records alone),
   * interned from its header. NO_FLOW when it is not UDP or TCP over IP.
   */
  recordFlow(rec: PacketRecord, own: boolean): number {
    if (!own) return rec.flow;
    const t = rec.transport;
    if (rec.ip === null || (t !== 'udp' && t !== 'tcp')) return NO_FLOW;
    return this.ofHeader(t === 'udp' ? IPPROTO_UDP : IPPROTO_TCP, rec.ip, rec.sport, rec.dport);
  }

  /** Call `listener` for every id let go, in the order listeners were added. */
  onEvict(listener: FlowEvicted): void {
    this.evictedListeners.push(listener);
  }

  /** The id of the other direction of flow `id`, if the table holds it (not interned, not marked as used). */
  reverseOf(id: number): number {
    // Its own scratch row: an eviction listener may ask while `probe` holds the key being interned.
    const k = this.reverseProbe;
    const keys = this.keys;
    const o = id * STRIDE;
    k[K_META] = keys[o + K_META];
    const ports = keys[o + K_PORTS];
    k[K_PORTS] = ((ports & 0xffff) << 16) | (ports >>> 16);
    for (let w = 0; w < 4; w++) {
      k[K_SRC + w] = keys[o + K_DST + w];
      k[K_DST + w] = keys[o + K_SRC + w];
    }
    return this.find(k);
  }

  /**
   * Flow `id` of table `from` with other ports, interned here: a table of
   * (client, server, service port) groups keys on the client->server flow
   * with the client's port set to 0.
   */
  internFrom(from: FlowTable, id: number, sport: number, dport: number): number {
    const o = id * STRIDE;
    const meta = from.keys[o + K_META];
    // IPv4 (its upper address words 0): by its numbers, as packets are.
    if ((meta >> 8) === 4) return this.ipv4(meta & 0xff, from.keys[o + K_SRC + 3], from.keys[o + K_DST + 3], sport, dport);
    const k = this.probe;
    for (let w = 0; w < STRIDE; w++) k[w] = from.keys[o + w];
    k[K_PORTS] = (sport << 16) | dport;
    return this.intern();
  }

  /** The flow's source and destination ports, and its IP protocol number, without making its name. */
  sport(id: number): number {
    return this.keys[id * STRIDE + K_PORTS] >>> 16;
  }

  dport(id: number): number {
    return this.keys[id * STRIDE + K_PORTS] & 0xffff;
  }

  proto(id: number): number {
    return this.keys[id * STRIDE + K_META] & 0xff;
  }

  /** The flow's name (made on first asking). */
  info(id: number): FlowInfo {
    return this.infos[id] ?? (this.infos[id] = this.makeInfo(id));
  }

  /** The flow's source and destination address as text, without making its name (IPv4's text is memoized). */
  srcText(id: number): string {
    return this.addressText(id * STRIDE, K_SRC);
  }

  dstText(id: number): string {
    return this.addressText(id * STRIDE, K_DST);
  }

  private addressText(o: number, at: number): string {
    const k = this.keys;
    return (k[o + K_META] >> 8) === 6 ? ipv6Text(k[o + at], k[o + at + 1], k[o + at + 2], k[o + at + 3]) : ipv4Text(k[o + at + 3]);
  }

  private makeInfo(id: number): FlowInfo {
    const k = this.keys;
    const o = id * STRIDE;
    const version = (k[o + K_META] >> 8) === 6 ? 6 : 4;
    const src = this.addressText(o, K_SRC);
    const dst = this.addressText(o, K_DST);
    const ports = k[o + K_PORTS];
    const sport = ports >>> 16;
    const dport = ports & 0xffff;
    // Made once per id: flowKeyOf's memo would only add garbage for a scan's one-packet flows.
    return new FlowInfo(`${endpoint(src, sport)}>${endpoint(dst, dport)}`, src, dst, sport, dport, k[o + K_META] & 0xff, version);
  }

  /** The id of key `k`, NO_FLOW when the table does not hold it. */
  private find(k: Int32Array): number {
    const keys = this.keys;
    const hashes = this.hashes;
    const index = this.index;
    const mask = this.mask;
    const h = hashOf(k);
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = index[s];
      if (e === 0) return NO_FLOW;
      const id = e - 1;
      if (hashes[id] !== h) continue;
      const o = id * STRIDE;
      if (keys[o + K_PORTS] === k[K_PORTS] && keys[o + K_SRC + 3] === k[K_SRC + 3] && keys[o + K_DST + 3] === k[K_DST + 3] && keys[o + K_META] === k[K_META]
        && keys[o + K_SRC] === k[K_SRC] && keys[o + K_SRC + 1] === k[K_SRC + 1] && keys[o + K_SRC + 2] === k[K_SRC + 2]
        && keys[o + K_DST] === k[K_DST] && keys[o + K_DST + 1] === k[K_DST + 1] && keys[o + K_DST + 2] === k[K_DST + 2]) return id;
    }
  }

  /** The id of the key in `probe`, interning it when new. */
  private intern(): number {
    const known = this.find(this.probe);
    if (known !== NO_FLOW) {
      this.referenced[known] = 1;
      return known;
    }
    return this.add();
  }

  /** Intern the key in `probe`, which the table does not hold. */
  private add(): number {
    const k = this.probe;
    const id = this.used < this.capacity ? this.used++ : this.evictOne();
    if (this.used * 4 > this.index.length) this.grow(id);
    const index = this.index;
    const mask = this.mask;
    this.keys.set(k, id * STRIDE);
    this.generation[id]++;
    // A new flow earns its second chance by a second packet: a scan's one-packet flows go first.
    this.referenced[id] = 0;
    this.infos[id] = undefined;
    this.stats.interned++;
    const h = hashOf(k);
    this.hashes[id] = h;
    // The probe ended at an empty slot, but eviction may have moved entries: find one again.
    let s = h & mask;
    while (index[s] !== 0) s = (s + 1) & mask;
    index[s] = id + 1;
    this.slotOf[id] = s;
    return id;
  }

  /** Double the index, placing every id held but `adding` (the id being added, not in it yet) anew. */
  private grow(adding: number): void {
    const size = this.index.length * 2;
    const index = new Int32Array(size);
    const mask = size - 1;
    // Ids below `used` all name flows held: an evicted id is given to the next flow at once.
    for (let id = 0; id < this.used; id++) {
      if (id === adding) continue;
      let s = this.hashes[id] & mask;
      while (index[s] !== 0) s = (s + 1) & mask;
      index[s] = id + 1;
      this.slotOf[id] = s;
    }
    this.index = index;
    this.mask = mask;
  }

  /** CLOCK: the first id whose reference bit is clear (clearing those passed) leaves the table. */
  private evictOne(): number {
    for (;;) {
      const id = this.hand;
      this.hand = id + 1 === this.capacity ? 0 : id + 1;
      if (this.referenced[id] === 1) this.referenced[id] = 0;
      else {
        this.unindex(this.slotOf[id]);
        this.stats.evicted++;
        // The listeners may read the leaving flow's key words and name: the probe (the new key) is left alone.
        for (const l of this.evictedListeners) l(id);
        return id;
      }
    }
  }

  /** Empty slot `s`, moving back the entries after it that probing would no longer reach (backward-shift deletion). */
  private unindex(s: number): void {
    const index = this.index;
    const mask = this.mask;
    let hole = s;
    for (let j = (s + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const id = index[j] - 1;
      const home = this.hashes[id] & mask;
      // Move it into the hole when its home is not in (hole, j], cyclically.
      if ((j > hole && (home <= hole || home > j)) || (j < hole && home <= hole && home > j)) {
        index[hole] = index[j];
        this.slotOf[id] = hole;
        hole = j;
      }
    }
    index[hole] = 0;
  }
}

/**
 * Per-flow state of one analyzer, by flow id: cleared when the table lets the
 * flow go, after handing it to `evicted` (an analyzer that reports every flow
 * counts it in then), so what it holds for an id always belongs to the flow
 * the id names.
 */
export class FlowSlots<S> {
  private readonly values: Array<S | undefined>;

  constructor(flows: FlowTable, evicted?: (value: S, id: number) => void) {
    const values = new Array<S | undefined>(flows.capacity).fill(undefined);
    this.values = values;
    flows.onEvict((id) => {
      const v = values[id];
      if (v === undefined) return;
      values[id] = undefined;
      evicted?.(v, id);
    });
  }

  get(id: number): S | undefined {
    return this.values[id];
  }

  set(id: number, value: S): void {
    this.values[id] = value;
  }

  delete(id: number): void {
    this.values[id] = undefined;
  }

  /** The ids holding state, lowest first. */
  *ids(): IterableIterator<number> {
    const values = this.values;
    for (let id = 0; id < values.length; id++) if (values[id] !== undefined) yield id;
  }
}


/** An address's text as key words; false when it is not an address. */
function textWords(version: number, text: string, out: Int32Array, o: number): boolean {
  if (version === 4) {
    const a = ipv4Number(text);
    if (a === null) return false;
    out[o] = 0; out[o + 1] = 0; out[o + 2] = 0; out[o + 3] = a;
    return true;
  }
  const b = parseIpv6(text);
  if (b === null) return false;
  for (let w = 0; w < 4; w++) out[o + w] = i32(b, 4 * w);
  return true;
}

function hashOf(k: Int32Array): number {
  return hashAt(k, 0);
}

/** hashAt of an IPv4 key (its upper address words 0) from its words themselves. */
function hashIpv4(meta: number, ports: number, src4: number, dst4: number): number {
  let h = Math.imul(src4 ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ dst4 ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ ports ^ (h >>> 16), 0x27d4eb2f);
  h = Math.imul(h ^ meta, 0x165667b1);
  return h ^ (h >>> 15);
}

function hashAt(k: Int32Array, o: number): number {
  let h = Math.imul(k[o + K_SRC + 3] ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ k[o + K_DST + 3] ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ k[o + K_PORTS] ^ (h >>> 16), 0x27d4eb2f);
  h = Math.imul(h ^ k[o + K_SRC + 2] ^ k[o + K_DST + 2] ^ k[o + K_META], 0x165667b1);
  h ^= k[o + K_SRC] ^ k[o + K_SRC + 1] ^ k[o + K_DST] ^ k[o + K_DST + 1];
  return h ^ (h >>> 15);
}
