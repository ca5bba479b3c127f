// Regenerates the bundled captures (captures/demo.pcap + captures/demo.md)
// and writes large mixed captures for the benchmark.
//
//   npm run captures                      -> demo.pcap + demo.md in captures/
//   node --import tsx captures/make-captures.ts --mixed /tmp/big.pcap --packets 4000000
//
// Everything is deterministic: a fixed start time, seeded PRNGs, and a
// merge of per-stream generators ordered by (time, insertion order), so the
// same arguments give the same bytes on every run and every machine.
//
// Streaming: each traffic source (a heartbeat direction, a TCP connection, a
// call, an RTP stream, an OPTIONS pinger) is a generator that yields its
// packets in time order. A binary heap holds one pending packet per live
// generator, so memory depends on the number of concurrent streams, never on
// the number of packets. A generator may also yield a `spawn` (a call
// starting its RTP streams), which the merge adds to the heap.

import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import type { ByteOrder } from '../dissectors/types.js';
import { TCP_ACK, TCP_PSH, TCP_RST, TCP_SYN } from '../dissectors/types.js';
import {
  buildTcpFrame,
  buildUdpFrame,
  heartbeatPayload,
  parseIpv4,
  rtpPayload,
  sipBytes,
  sipRequest,
  sipResponse,
  tcpSynOptions,
  type EthernetSpec,
  type IpSpec,
  type SdpSpec,
  type SipNameAddr,
  type SipTransport,
  type SipVia,
} from '../src/writer/frame-builder.js';
import { hash32, Rng } from '../src/generator/rng.js';
import { hashedBurstRuns, hashedJitter, StreamPlan, type Impairments, type LossRun } from '../src/generator/impairments.js';
import { MinHeap } from '../src/common/min-heap.js';
import { openCaptureWriter, PcapWriter, type CaptureFormat, type PacketSink } from '../src/writer/pcap-writer.js';

// ---------------------------------------------------------------------------
// Time: offsets in integer nanoseconds from the capture start (a double is
// exact up to 2^53 ns, ~104 days, far beyond any capture we write).

const US = 1_000;
const MS = 1_000_000;
const S = 1_000_000_000;

/** 2026-03-02T09:00:00Z. */
export const DEMO_START_SEC = Date.UTC(2026, 2, 2, 9, 0, 0) / 1000;
export const DEMO_SECONDS = 60;
export const DEMO_SEED = 20260302;

// DSCP values the story uses (RFC 2474/2597/3246 code points).
export const DSCP_BE = 0;
export const DSCP_CS3 = 24;
export const DSCP_AF31 = 26;
export const DSCP_EF = 46;

/** The MDS heartbeat interval and the number of consecutive misses that makes the noticing side reset (source document 002). */
export const HEARTBEAT_INTERVAL_NS = 100 * MS;
export const MISSES_FOR_FAILOVER = 5;
/** How long after the fifth missed deadline the noticing side's RST appears in the story. */
export const RST_DELAY_NS = 30 * MS;

// ---------------------------------------------------------------------------
// Stream items and the merge

export type AppLabel = 'mds-heartbeat' | 'mds-tcp' | 'sip' | 'rtp';

/** What a packet is, for the facts in demo.md (built from what was actually written). */
interface Tag {
  app: AppLabel;
  dscp: number;
  /** SIP messages that complete in this packet: method names, or status codes as strings. */
  sip?: string[];
  hb?: { stream: string; seq: number };
  rtp?: { flow: string; pt: number };
  /** Carried in TCP (SIP framing differs). */
  tcp?: boolean;
  rst?: { src: string; dst: string };
  v6?: boolean;
}

interface Emission {
  t: number;
  frame: Uint8Array;
  tag: Tag;
}

interface Spawn {
  t: number;
  spawn: Iterator<StreamItem>;
}

type StreamItem = Emission | Spawn;

interface HeapNode {
  t: number;
  item: StreamItem;
  it: Iterator<StreamItem>;
}

/** Stream generators ordered by their next packet's time; ties go in push order, so runs repeat. */
class StreamHeap {
  private readonly heap = new MinHeap<HeapNode>();
  push(it: Iterator<StreamItem>, notBefore: number): void {
    const r = it.next();
    if (r.done) return;
    if (r.value.t < notBefore) throw new Error(`stream went back in time: ${r.value.t} < ${notBefore}`);
    this.heap.push(r.value.t, { t: r.value.t, item: r.value, it });
  }
  pop(): HeapNode | undefined {
    return this.heap.pop();
  }
}

/** Merges stream generators into one time-ordered sequence of packets. */
function* merge(roots: Array<Iterator<StreamItem>>): Generator<Emission> {
  const heap = new StreamHeap();
  for (const r of roots) heap.push(r, 0);
  for (let node = heap.pop(); node; node = heap.pop()) {
    const item = node.item;
    if ('spawn' in item) heap.push(item.spawn, item.t);
    else yield item;
    heap.push(node.it, node.t);
  }
}

// ---------------------------------------------------------------------------
// Hosts and layer 2

class Host {
  readonly mac: Uint8Array;
  constructor(
    readonly name: string,
    readonly ip: string,
    /** Initial TTL of the host's OS: the routers are Windows (128), the rest Linux-based (64). */
    readonly ttl: number,
    readonly ip6: string | null = null,
  ) {
    const b = parseIpv4(ip);
    // Locally administered unicast MAC derived from the IPv4 address: stable and readable in a trace.
    this.mac = Uint8Array.of(0x02, 0x00, b[0], b[1], b[2], b[3]);
  }
}

function subnet24(ip: string): string {
  return ip.slice(0, ip.lastIndexOf('.'));
}

/**
 * The capture point is a SPAN of the core switch: a frame to another /24
 * goes to the sender's first-hop gateway, whose HSRP virtual MAC
 * (00:00:0c:07:ac:<group>, group = third octet) is what an engineer sees.
 */
function l2(src: Host, dst: Host, v6 = false): EthernetSpec {
  if (v6 || subnet24(src.ip) === subnet24(dst.ip)) return { src: src.mac, dst: dst.mac };
  const group = parseIpv4(src.ip)[2];
  return { src: src.mac, dst: Uint8Array.of(0x00, 0x00, 0x0c, 0x07, 0xac, group) };
}

/** Per-socket IPv4 identification counter (Linux and Windows both count per flow or per host; per flow keeps streams independent). */
class IpIdCounter {
  private v: number;
  constructor(seed: number) {
    this.v = seed & 0xffff;
  }
  next(): number {
    this.v = (this.v + 1) & 0xffff;
    return this.v;
  }
}

interface Path {
  src: Host;
  dst: Host;
  dscp: number;
  v6: boolean;
  eth: EthernetSpec;
  ids: IpIdCounter;
  df: boolean;
}

function path(src: Host, dst: Host, dscp: number, opts: { v6?: boolean; df?: boolean; seed?: number } = {}): Path {
  const v6 = opts.v6 ?? false;
  if (v6 && (!src.ip6 || !dst.ip6)) throw new Error(`no IPv6 address on ${src.name} or ${dst.name}`);
  return { src, dst, dscp, v6, eth: l2(src, dst, v6), ids: new IpIdCounter(opts.seed ?? hash32(parseIpv4(src.ip).reduce((a, b) => a * 256 + b, 0), dscp)), df: opts.df ?? false };
}

function ipFor(p: Path): IpSpec {
  if (p.v6) return { version: 6, src: p.src.ip6 as string, dst: p.dst.ip6 as string, dscp: p.dscp, hopLimit: p.src.ttl };
  return { src: p.src.ip, dst: p.dst.ip, dscp: p.dscp, ttl: p.src.ttl, id: p.ids.next(), df: p.df };
}

function udpFrame(p: Path, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  return buildUdpFrame(p.eth, ipFor(p), { sport, dport, payload });
}

function addrOf(h: Host, v6: boolean): string {
  return v6 ? (h.ip6 as string) : h.ip;
}

// ---------------------------------------------------------------------------
// TCP connection state

interface TcpEnd {
  host: Host;
  port: number;
}

/** Sequence/ack bookkeeping for one connection, so every segment is consistent and tshark's TCP analysis stays quiet. */
class TcpConn {
  private nxt: [number, number];
  private readonly paths: [Path, Path];
  private readonly win: [number, number] = [64240, 65535];
  constructor(
    readonly ends: [TcpEnd, TcpEnd],
    dscp: number,
    rng: Rng,
    readonly app: AppLabel,
  ) {
    this.nxt = [rng.u32(), rng.u32()];
    this.paths = [path(ends[0].host, ends[1].host, dscp, { df: true, seed: rng.u32() }), path(ends[1].host, ends[0].host, dscp, { df: true, seed: rng.u32() })];
  }

  private seg(t: number, from: 0 | 1, flags: number, payload?: Uint8Array, opts?: Uint8Array, sip?: string[]): Emission {
    const to = (1 - from) as 0 | 1;
    const p = this.paths[from];
    const ackOn = (flags & TCP_ACK) !== 0;
    const frame = buildTcpFrame(p.eth, ipFor(p), {
      sport: this.ends[from].port,
      dport: this.ends[to].port,
      seq: this.nxt[from],
      ack: ackOn ? this.nxt[to] : 0,
      flags,
      window: flags & TCP_RST ? 0 : this.win[from],
      options: opts,
      payload,
    });
    const tag: Tag = { app: this.app, dscp: p.dscp, tcp: true };
    if (sip) tag.sip = sip;
    return { t, frame, tag };
  }

  /** SYN, SYN/ACK, ACK starting at t with the given one-way delay. */
  handshake(t: number, delay: number): Emission[] {
    const out: Emission[] = [this.seg(t, 0, TCP_SYN, undefined, tcpSynOptions())];
    this.nxt[0] = (this.nxt[0] + 1) >>> 0;
    out.push(this.seg(t + delay, 1, TCP_SYN | TCP_ACK, undefined, tcpSynOptions()));
    this.nxt[1] = (this.nxt[1] + 1) >>> 0;
    out.push(this.seg(t + 2 * delay, 0, TCP_ACK));
    return out;
  }

  data(t: number, from: 0 | 1, payload: Uint8Array, sip?: string[]): Emission {
    const e = this.seg(t, from, TCP_ACK | TCP_PSH, payload, undefined, sip);
    this.nxt[from] = (this.nxt[from] + payload.length) >>> 0;
    return e;
  }

  ack(t: number, from: 0 | 1): Emission {
    return this.seg(t, from, TCP_ACK);
  }

  /** An abortive close: RST+ACK carrying the sender's next sequence number, as a stack sends when the application resets. */
  rst(t: number, from: 0 | 1): Emission {
    const e = this.seg(t, from, TCP_RST | TCP_ACK);
    e.tag.rst = { src: `${this.ends[from].host.ip}:${this.ends[from].port}`, dst: `${this.ends[1 - from].host.ip}:${this.ends[1 - from].port}` };
    return e;
  }
}

// ---------------------------------------------------------------------------
// MDS heartbeats

/** The mixed capture's heartbeat loss: per window of 600 heartbeats, one burst with probability 1/2, 1..6 long (5 and 6 cause a reset). */
const MIXED_BURST_LENGTHS = [1, 1, 1, 2, 2, 3, 4, 5, 6, 1, 2, 5];
const MIXED_BURST_WINDOW = 600;
const MIXED_BURST_MARGIN = 20;

const HEARTBEAT_INTERVAL_MS = HEARTBEAT_INTERVAL_NS / MS;

/** Bursts lost at given heartbeat indices, as the generator's plan takes them. */
function burstsAt(runs: LossRun[]): Impairments['bursts'] {
  return runs.map((r) => ({ count: r.count, atMs: r.start * HEARTBEAT_INTERVAL_MS }));
}

interface HeartbeatDirectionSpec {
  name: string;
  src: Host;
  dst: Host;
  sport: number;
  dport: number;
  order: ByteOrder;
  /** Offset of heartbeat 0 from the capture start. */
  phase: number;
  /** Jitter is uniform in [-jitter, +jitter], µs granular. */
  jitter: number;
  firstSeq: number;
  /**
   * What the network and the sender do to the stream, in the generator's
   * terms (src/generator/impairments.ts): loss bursts at heartbeat indices
   * (`bursts` at index × 100 ms) or placed by hash (`hashedBursts`), and
   * restarts (sequence back to 0).
   */
  impairments: Impairments;
  /** Number of heartbeats (indices 0..count-1); Infinity for an endless stream. */
  count: number;
  dscp: number;
  seed: number;
}

class HeartbeatDirection {
  constructor(readonly spec: HeartbeatDirectionSpec) {}

  timeOf(k: number): number {
    return this.spec.phase + k * HEARTBEAT_INTERVAL_NS + hashedJitter(this.spec.seed, k, this.spec.jitter / US) * US;
  }

  /** The stream's loss runs in index order (endless for hashed bursts). */
  lossRuns(): Iterator<LossRun> {
    const imp = this.spec.impairments;
    if (imp.hashedBursts) return hashedBurstRuns(imp.hashedBursts);
    return (imp.bursts ?? []).map((b) => ({ start: (b.atMs ?? 0) / HEARTBEAT_INTERVAL_MS, count: b.count }))[Symbol.iterator]();
  }

  /** When the receiver acts on a run: the last heartbeat it got, the fifth missed deadline, and its RST. */
  failoverOf(run: LossRun): { lastHeard: number; deadline: number; rstAt: number } | null {
    if (run.count < MISSES_FOR_FAILOVER) return null;
    // The receiver times out 100 ms after the last heartbeat it heard, and again every 100 ms; the fifth timeout is the reset.
    const lastHeard = this.timeOf(run.start - 1);
    const deadline = lastHeard + MISSES_FOR_FAILOVER * HEARTBEAT_INTERVAL_NS;
    return { lastHeard, deadline, rstAt: deadline + RST_DELAY_NS };
  }

  /** The generator's plan decides each heartbeat's sequence number and whether it is lost; the capture only adds the wire. */
  *stream(): Generator<StreamItem> {
    const s = this.spec;
    const p = path(s.src, s.dst, s.dscp, { seed: s.seed });
    const plan = new StreamPlan(HEARTBEAT_INTERVAL_MS, s.firstSeq, s.impairments, s.count);
    for (let slot = plan.next(); slot; slot = plan.next()) {
      if (slot.withheld) continue;
      const seq = slot.seq;
      yield { t: this.timeOf(slot.index), frame: udpFrame(p, s.sport, s.dport, heartbeatPayload(seq, s.order)), tag: { app: 'mds-heartbeat', dscp: s.dscp, hb: { stream: s.name, seq } } };
    }
  }
}

interface MdsTcpSpec {
  /** Side A (client) and side B (listener). */
  a: TcpEnd;
  b: TcpEnd;
  connectAt: number;
  /** Exchanges: A sends a request, B answers, A acks; first at firstExchange, then every `every`. */
  firstExchange: number;
  every: number;
  /** The two heartbeat directions: a run in `aToB` is noticed by B, one in `bToA` by A. */
  aToB: HeartbeatDirection;
  bToA: HeartbeatDirection;
  /** Reconnect this long after a reset; null = the connection stays down. */
  reconnectAfter: number | null;
  endAt: number;
  seed: number;
}

/** Reset moments from both heartbeat directions in time order: {time, side that resets}. */
function* failoverEvents(aToB: HeartbeatDirection, bToA: HeartbeatDirection): Generator<{ t: number; by: 0 | 1 }> {
  // Each loss model yields runs in index order and both directions share the 100 ms grid, so a two-way merge keeps time order.
  const next = (it: Iterator<LossRun>, d: HeartbeatDirection): number => {
    for (let r = it.next(); !r.done; r = it.next()) {
      if (r.value.start >= d.spec.count) return Infinity;
      const f = d.failoverOf(r.value);
      if (f) return f.rstAt;
    }
    return Infinity;
  };
  const ia = aToB.lossRuns();
  const ib = bToA.lossRuns();
  let ta = next(ia, aToB);
  let tb = next(ib, bToA);
  while (ta !== Infinity || tb !== Infinity) {
    if (ta <= tb) {
      yield { t: ta, by: 1 }; // B noticed A's silence
      ta = next(ia, aToB);
    } else {
      yield { t: tb, by: 0 };
      tb = next(ib, bToA);
    }
  }
}

function mdsMessage(len: number, type: number, n: number): Uint8Array {
  // A neutral stand-in for MDS traffic: length, type, counter, zero fill (the real format is not public).
  const b = new Uint8Array(len);
  const v = new DataView(b.buffer);
  v.setUint32(0, len);
  v.setUint32(4, type);
  v.setUint32(8, n >>> 0);
  return b;
}

function* mdsTcpStream(s: MdsTcpSpec): Generator<StreamItem> {
  const rng = new Rng(s.seed);
  const events = failoverEvents(s.aToB, s.bToA);
  let ev = events.next();
  let conn: TcpConn | null = null;
  let t = s.connectAt;
  let n = 0;
  let port = s.a.port;
  while (t < s.endAt) {
    conn = new TcpConn([{ host: s.a.host, port }, s.b], DSCP_AF31, rng, 'mds-tcp');
    yield* conn.handshake(t, 300 * US);
    // Drop reset moments that fell while the connection was down.
    while (!ev.done && ev.value.t <= t + MS) ev = events.next();
    const rstAt = ev.done ? Infinity : ev.value.t;
    let x = Math.max(s.firstExchange, t + 500 * MS);
    x = s.firstExchange + Math.ceil((x - s.firstExchange) / s.every) * s.every;
    // Exchanges stop a second before a reset: by then the private link is already failing.
    for (; x + S < rstAt && x < s.endAt; x += s.every) {
      yield conn.data(x, 0, mdsMessage(96, 1, n));
      yield conn.data(x + 700 * US, 1, mdsMessage(48, 2, n));
      yield conn.ack(x + 900 * US, 0);
      n++;
    }
    if (rstAt >= s.endAt || ev.done) return;
    yield conn.rst(rstAt, ev.value.by);
    ev = events.next();
    if (s.reconnectAfter === null) return;
    t = rstAt + s.reconnectAfter;
    port = port >= 65000 ? 49200 : port + 1;
  }
}

// ---------------------------------------------------------------------------
// RTP with an audible G.711 tone (so the capture plays back in Wireshark)

function linearToUlaw(sample: number): number {
  let s = sample;
  const sign = s < 0 ? 0x80 : 0;
  if (sign) s = -s;
  s = Math.min(s, 32635) + 0x84;
  let exp = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exp > 0; exp--, mask >>= 1);
  return ~(sign | (exp << 4) | ((s >> (exp + 3)) & 0x0f)) & 0xff;
}

const ALAW_SEG_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];
function linearToAlaw(sample: number): number {
  let pcm = sample >> 3;
  let mask: number;
  if (pcm >= 0) mask = 0xd5;
  else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  let seg = ALAW_SEG_END.findIndex((e) => pcm <= e);
  if (seg < 0) seg = 8;
  if (seg >= 8) return 0x7f ^ mask;
  const aval = (seg << 4) | ((seg < 2 ? pcm >> 1 : pcm >> seg) & 0x0f);
  return aval ^ mask;
}

const toneCache = new Map<string, Uint8Array>();
/** One second of a tone at 8 kHz; 20 ms packets take consecutive 160-byte slices (8000 is a multiple of 160). */
function tone(pt: number, hz: number): Uint8Array {
  const key = `${pt}/${hz}`;
  let t = toneCache.get(key);
  if (!t) {
    t = new Uint8Array(8000);
    for (let i = 0; i < 8000; i++) {
      const v = Math.round(3000 * Math.sin((2 * Math.PI * hz * i) / 8000));
      t[i] = pt === 8 ? linearToAlaw(v) : linearToUlaw(v);
    }
    toneCache.set(key, t);
  }
  return t;
}

interface RtpSpec {
  src: Host;
  dst: Host;
  sport: number;
  dport: number;
  pt: number;
  dscp: number;
  start: number;
  stop: number;
  hz: number;
  seed: number;
}

export const RTP_PTIME_NS = 20 * MS;

function* rtpStream(s: RtpSpec): Generator<StreamItem> {
  const rng = new Rng(s.seed);
  const seq0 = rng.int(0, 0xffff);
  const ts0 = rng.u32();
  const ssrc = rng.u32();
  const p = path(s.src, s.dst, s.dscp, { df: true, seed: rng.u32() });
  const media = tone(s.pt, s.hz);
  const tag: Tag = { app: 'rtp', dscp: s.dscp, rtp: { flow: `${s.src.ip}:${s.sport}>${s.dst.ip}:${s.dport}`, pt: s.pt } };
  for (let n = 0; ; n++) {
    // Up to 400 µs of send jitter after each 20 ms tick (never before `start`, where the call spawned this stream).
    const t = s.start + n * RTP_PTIME_NS + rng.int(0, 400) * US;
    if (t >= s.stop) return;
    const off = (n * 160) % 8000;
    const payload = rtpPayload({ payloadType: s.pt, seq: seq0 + n, timestamp: ts0 + n * 160, ssrc, marker: n === 0 }, media.subarray(off, off + 160));
    yield { t, frame: udpFrame(p, s.sport, s.dport, payload), tag };
  }
}

// ---------------------------------------------------------------------------
// SIP

const SIP_PORT = 5060;
const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS';

/** One hop of signalling (phone<->proxy or proxy<->call server) over UDP or an established TCP connection. */
class SipLeg {
  private readonly p: [Path, Path];
  constructor(
    readonly a: Host,
    readonly b: Host,
    readonly transport: SipTransport,
    readonly conn: TcpConn | null,
    seed: number,
    readonly v6 = false,
  ) {
    this.p = [path(a, b, DSCP_CS3, { v6, seed: hash32(seed, 1) }), path(b, a, DSCP_CS3, { v6, seed: hash32(seed, 2) })];
  }

  /**
   * Sends messages from end `from` at time t. Over UDP each message is its
   * own datagram; over TCP they are written as one segment (so two messages
   * can share a segment), optionally cut in two at byte splitAt (a message
   * spanning two segments), and the receiver acks 300 µs later.
   */
  send(t: number, from: 0 | 1, msgs: Array<{ text: string; label: string }>, splitAt?: number): Emission[] {
    if (!this.conn) {
      return msgs.map((m, i) => ({
        t: t + i * 100 * US,
        frame: udpFrame(this.p[from], SIP_PORT, SIP_PORT, sipBytes(m.text)),
        tag: { app: 'sip', dscp: DSCP_CS3, sip: [m.label], v6: this.v6 || undefined },
      }));
    }
    const bytes = sipBytes(msgs.map((m) => m.text).join(''));
    const labels = msgs.map((m) => m.label);
    const out: Emission[] = [];
    if (splitAt !== undefined && splitAt > 0 && splitAt < bytes.length) {
      // Labels go on the segment where the last message completes (what a reassembling reader reports).
      out.push(this.conn.data(t, from, bytes.subarray(0, splitAt), []));
      out.push(this.conn.data(t + 100 * US, from, bytes.subarray(splitAt), labels));
    } else {
      out.push(this.conn.data(t, from, bytes, labels));
    }
    out.push(this.conn.ack(out[out.length - 1].t + 300 * US, (1 - from) as 0 | 1));
    return out;
  }
}

interface CallSpec {
  /** For the facts table. */
  name: string;
  phone: Host;
  ext: number;
  dialed: number;
  proxy: Host;
  server: Host;
  /** Transport of the phone<->proxy leg; proxy<->call server is UDP. */
  transport: 'UDP' | 'TCP';
  /** The phone's TCP connection to the proxy (TCP calls). */
  conn?: TcpConn;
  /** Open conn with a three-way handshake at this time (else it is already open). */
  openConnAt?: number;
  outcome: 'answered' | 'cancelled' | 'busy';
  start: number;
  /** INVITE to 200 OK (answered) or to CANCEL (cancelled). */
  ringFor: number;
  talkFor: number;
  byeFrom: 'phone' | 'server';
  pt: number;
  phoneRtpPort: number;
  serverRtpPort: number;
  phoneDscp: number;
  /** For TCP legs: cut the INVITE at this byte, and put 100 Trying + 180 Ringing in one segment. */
  splitInviteAt?: number;
  seed: number;
}

/** Call-ID of a call, derived from its seed alone so the facts can name it without replaying the call. */
function callIdOf(c: CallSpec): string {
  return `${hash32(c.seed, 0xca11).toString(16).padStart(8, '0')}${hash32(c.seed, 0x1d).toString(16).padStart(8, '0')}@${c.phone.ip}`;
}

/** Builds every SIP packet of one call (phone -> proxy -> call server, Record-Routed through the proxy) plus spawns for its RTP. */
function callItems(c: CallSpec): StreamItem[] {
  const rng = new Rng(c.seed);
  const P = c.phone;
  const X = c.proxy;
  const C = c.server;
  const tcp = c.transport === 'TCP';
  const leg1 = new SipLeg(P, X, c.transport, c.conn ?? null, hash32(c.seed, 11));
  const leg2 = new SipLeg(X, C, 'UDP', null, hash32(c.seed, 12));
  const items: StreamItem[] = [];
  const add = (es: Emission[]): number => {
    items.push(...es);
    return es[es.length - 1].t;
  };

  const callId = callIdOf(c);
  const fromTag = rng.hex(8);
  const toTag = rng.hex(8);
  const br = (): string => `z9hG4bK${rng.hex(12)}`;
  const rr = `<sip:${X.ip};lr>`;
  const phoneContact = `sip:${c.ext}@${P.ip}:${SIP_PORT}${tcp ? ';transport=tcp' : ''}`;
  const serverContact = `sip:${c.dialed}@${C.ip}:${SIP_PORT}`;
  const ruri1 = `sip:${c.dialed}@${X.ip}`;
  const ruri2 = `sip:${c.dialed}@${C.ip}`;
  const caller: SipNameAddr = { uri: `sip:${c.ext}@${X.ip}`, display: `Phone ${c.ext}`, tag: fromTag };
  const callee: SipNameAddr = { uri: `sip:${c.dialed}@${X.ip}` };
  const calleeTagged: SipNameAddr = { ...callee, tag: toTag };
  const viaP = (branch: string): SipVia => ({ transport: c.transport, host: P.ip, port: SIP_PORT, branch });
  const viaX = (branch: string): SipVia => ({ transport: 'UDP', host: X.ip, port: SIP_PORT, branch });
  const ua: Array<[string, string]> = [['User-Agent', 'DemoPhone/2.1']];
  const srv: Array<[string, string]> = [['Server', 'DemoCallServer/5.0']];
  const sess = rng.int(100000, 999999);
  const offer: SdpSpec = { address: P.ip, port: c.phoneRtpPort, payloadTypes: [0, 8, 101], sessionId: sess, sessionVersion: sess, ptime: 20 };
  const answer: SdpSpec = { address: C.ip, port: c.serverRtpPort, payloadTypes: [c.pt, 101], sessionId: sess + 1, sessionVersion: sess + 1, ptime: 20 };

  const b1 = br();
  const b2 = br();
  const invite1 = sipRequest({ method: 'INVITE', requestUri: ruri1, via: [viaP(b1)], from: caller, to: callee, callId, cseq: { seq: 1, method: 'INVITE' }, contact: phoneContact, headers: [['Allow', ALLOW], ...ua], sdp: offer });
  const invite2 = sipRequest({ method: 'INVITE', requestUri: ruri2, maxForwards: 69, via: [viaX(b2), viaP(b1)], from: caller, to: callee, callId, cseq: { seq: 1, method: 'INVITE' }, contact: phoneContact, headers: [['Record-Route', rr], ['Allow', ALLOW], ...ua], sdp: offer });
  /** A response to the INVITE on leg 1 (only the phone's Via) or leg 2 (both Vias). */
  const invResp = (leg: 1 | 2, status: number, opts: { tagged?: boolean; sdp?: boolean } = {}): { text: string; label: string } => ({
    text: sipResponse({
      status,
      via: leg === 1 ? [viaP(b1)] : [viaX(b2), viaP(b1)],
      from: caller,
      to: opts.tagged ? calleeTagged : callee,
      callId,
      cseq: { seq: 1, method: 'INVITE' },
      contact: opts.tagged && status < 300 ? serverContact : undefined,
      headers: opts.tagged && status < 300 ? [['Record-Route', rr], ...srv] : srv,
      sdp: opts.sdp ? answer : undefined,
    }),
    label: String(status),
  });
  /** ACK for a non-2xx final response: hop by hop, same branch as the INVITE it completes. */
  const ackNon2xx = (leg: 1 | 2): { text: string; label: string } => ({
    text: sipRequest({ method: 'ACK', requestUri: leg === 1 ? ruri1 : ruri2, maxForwards: 70, via: [leg === 1 ? viaP(b1) : viaX(b2)], from: caller, to: calleeTagged, callId, cseq: { seq: 1, method: 'ACK' } }),
    label: 'ACK',
  });

  if (c.conn && c.openConnAt !== undefined) add(c.conn.handshake(c.openConnAt, 250 * US));
  const t0 = c.start;
  add(leg1.send(t0, 0, [{ text: invite1, label: 'INVITE' }], c.splitInviteAt));
  const trying1 = invResp(1, 100);
  if (!tcp) add(leg1.send(t0 + 2 * MS, 1, [trying1]));
  add(leg2.send(t0 + 3 * MS, 0, [{ text: invite2, label: 'INVITE' }]));
  add(leg2.send(t0 + 5 * MS, 1, [invResp(2, 100)]));

  if (c.outcome === 'busy') {
    const tb = t0 + 40 * MS;
    add(leg2.send(tb, 1, [invResp(2, 486, { tagged: true })]));
    add(leg2.send(tb + 1 * MS, 0, [ackNon2xx(2)]));
    add(leg1.send(tb + 2 * MS, 1, tcp ? [trying1, invResp(1, 486, { tagged: true })] : [invResp(1, 486, { tagged: true })]));
    add(leg1.send(tb + 20 * MS, 0, [ackNon2xx(1)]));
    return items;
  }

  add(leg2.send(t0 + 8 * MS, 1, [invResp(2, 180, { tagged: true })]));
  // Over TCP the proxy's 100 Trying is still queued when the 180 arrives, so both leave in one segment.
  add(leg1.send(t0 + 10 * MS, 1, tcp ? [trying1, invResp(1, 180, { tagged: true })] : [invResp(1, 180, { tagged: true })]));

  if (c.outcome === 'cancelled') {
    const tc = t0 + c.ringFor;
    const cancel = (leg: 1 | 2): { text: string; label: string } => ({
      text: sipRequest({ method: 'CANCEL', requestUri: leg === 1 ? ruri1 : ruri2, via: [leg === 1 ? viaP(b1) : viaX(b2)], from: caller, to: callee, callId, cseq: { seq: 1, method: 'CANCEL' }, headers: leg === 1 ? ua : [] }),
      label: 'CANCEL',
    });
    const cancelOk = (leg: 1 | 2): { text: string; label: string } => ({
      text: sipResponse({ status: 200, via: [leg === 1 ? viaP(b1) : viaX(b2)], from: caller, to: calleeTagged, callId, cseq: { seq: 1, method: 'CANCEL' } }),
      label: '200',
    });
    add(leg1.send(tc, 0, [cancel(1)]));
    add(leg1.send(tc + 2 * MS, 1, [cancelOk(1)]));
    add(leg2.send(tc + 3 * MS, 0, [cancel(2)]));
    add(leg2.send(tc + 5 * MS, 1, [cancelOk(2)]));
    add(leg2.send(tc + 7 * MS, 1, [invResp(2, 487, { tagged: true })]));
    add(leg2.send(tc + 8 * MS, 0, [ackNon2xx(2)]));
    add(leg1.send(tc + 9 * MS, 1, [invResp(1, 487, { tagged: true })]));
    add(leg1.send(tc + 30 * MS, 0, [ackNon2xx(1)]));
    return items;
  }

  // Answered.
  const ta = t0 + c.ringFor;
  add(leg2.send(ta, 1, [invResp(2, 200, { tagged: true, sdp: true })]));
  add(leg1.send(ta + 2 * MS, 1, [invResp(1, 200, { tagged: true, sdp: true })]));
  const ackBranch1 = br();
  const ackBranch2 = br();
  add(leg1.send(ta + 20 * MS, 0, [{ text: sipRequest({ method: 'ACK', requestUri: serverContact, via: [viaP(ackBranch1)], from: caller, to: calleeTagged, callId, cseq: { seq: 1, method: 'ACK' }, headers: [['Route', rr], ...ua] }), label: 'ACK' }]));
  add(leg2.send(ta + 22 * MS, 0, [{ text: sipRequest({ method: 'ACK', requestUri: serverContact, maxForwards: 69, via: [viaX(ackBranch2), viaP(ackBranch1)], from: caller, to: calleeTagged, callId, cseq: { seq: 1, method: 'ACK' }, headers: ua }), label: 'ACK' }]));

  const tb = ta + c.talkFor;
  const hz = 300 + (c.seed % 5) * 100;
  items.push({ t: ta + 10 * MS, spawn: rtpStream({ src: C, dst: P, sport: c.serverRtpPort, dport: c.phoneRtpPort, pt: c.pt, dscp: DSCP_EF, start: ta + 10 * MS, stop: tb - 5 * MS, hz: hz + 220, seed: hash32(c.seed, 21) }) });
  items.push({ t: ta + 30 * MS, spawn: rtpStream({ src: P, dst: C, sport: c.phoneRtpPort, dport: c.serverRtpPort, pt: c.pt, dscp: c.phoneDscp, start: ta + 30 * MS, stop: tb - 5 * MS, hz, seed: hash32(c.seed, 22) }) });

  const bb1 = br();
  const bb2 = br();
  if (c.byeFrom === 'phone') {
    const bye = (leg: 1 | 2): string =>
      sipRequest({ method: 'BYE', requestUri: serverContact, maxForwards: leg === 1 ? 70 : 69, via: leg === 1 ? [viaP(bb1)] : [viaX(bb2), viaP(bb1)], from: caller, to: calleeTagged, callId, cseq: { seq: 2, method: 'BYE' }, headers: leg === 1 ? [['Route', rr], ...ua] : ua });
    const ok = (leg: 1 | 2): string => sipResponse({ status: 200, via: leg === 1 ? [viaP(bb1)] : [viaX(bb2), viaP(bb1)], from: caller, to: calleeTagged, callId, cseq: { seq: 2, method: 'BYE' }, headers: srv });
    add(leg1.send(tb, 0, [{ text: bye(1), label: 'BYE' }]));
    add(leg2.send(tb + 2 * MS, 0, [{ text: bye(2), label: 'BYE' }]));
    add(leg2.send(tb + 5 * MS, 1, [{ text: ok(2), label: '200' }]));
    add(leg1.send(tb + 7 * MS, 1, [{ text: ok(1), label: '200' }]));
  } else {
    // The call server hangs up: From/To swap, its own CSeq space, routed back through the proxy.
    const viaC: SipVia = { transport: 'UDP', host: C.ip, port: SIP_PORT, branch: bb1 };
    const viaXc: SipVia = { transport: 'UDP', host: X.ip, port: SIP_PORT, branch: bb2 };
    const from: SipNameAddr = { uri: callee.uri, tag: toTag };
    const to: SipNameAddr = { uri: caller.uri, display: caller.display, tag: fromTag };
    const bye = (leg: 1 | 2): string =>
      sipRequest({ method: 'BYE', requestUri: phoneContact, maxForwards: leg === 2 ? 70 : 69, via: leg === 2 ? [viaC] : [viaXc, viaC], from, to, callId, cseq: { seq: 501, method: 'BYE' }, headers: leg === 2 ? [['Route', rr], ...srv] : srv });
    const ok = (leg: 1 | 2): string => sipResponse({ status: 200, via: leg === 2 ? [viaC] : [viaXc, viaC], from, to, callId, cseq: { seq: 501, method: 'BYE' }, headers: ua });
    add(leg2.send(tb, 1, [{ text: bye(2), label: 'BYE' }]));
    add(leg1.send(tb + 2 * MS, 1, [{ text: bye(1), label: 'BYE' }]));
    add(leg1.send(tb + 5 * MS, 0, [{ text: ok(1), label: '200' }]));
    add(leg2.send(tb + 7 * MS, 0, [{ text: ok(2), label: '200' }]));
  }
  return items;
}

/** A call's packets in time order (a call is a few dozen packets, so sorting them in memory keeps memory flat). */
function* callStream(c: CallSpec): Generator<StreamItem> {
  const items = callItems(c);
  // Array.prototype.sort is stable, so same-time items keep their build order.
  items.sort((x, y) => x.t - y.t);
  yield* items;
}

interface OptionsPingSpec {
  from: Host;
  to: Host;
  first: number;
  every: number;
  /** Pings sent at or after this time get no answer. */
  unansweredFrom: number;
  count: number;
  v6: boolean;
  seed: number;
}

/** SIP OPTIONS service checking: one ping per interval, each a new transaction answered by 200 OK. */
function* optionsStream(s: OptionsPingSpec): Generator<StreamItem> {
  const rng = new Rng(s.seed);
  const leg = new SipLeg(s.from, s.to, 'UDP', null, s.seed, s.v6);
  const src = addrOf(s.from, s.v6);
  const dst = addrOf(s.to, s.v6);
  const host = (a: string): string => (a.includes(':') ? `[${a}]` : a);
  const callId = `${rng.hex(12)}@${src}`;
  const fromTag = rng.hex(8);
  for (let i = 0; i < s.count; i++) {
    const t = s.first + i * s.every;
    const via: SipVia[] = [{ transport: 'UDP', host: src, port: SIP_PORT, branch: `z9hG4bK${rng.hex(12)}` }];
    const from: SipNameAddr = { uri: `sip:ping@${host(src)}`, tag: fromTag };
    const to: SipNameAddr = { uri: `sip:${host(dst)}` };
    const cseq = { seq: i + 1, method: 'OPTIONS' };
    yield* leg.send(t, 0, [{ text: sipRequest({ method: 'OPTIONS', requestUri: `sip:${host(dst)}:${SIP_PORT}`, via, from, to, callId, cseq, contact: `sip:ping@${host(src)}:${SIP_PORT}`, headers: [['Accept', 'application/sdp']] }), label: 'OPTIONS' }]);
    if (t >= s.unansweredFrom) continue;
    const toTag = rng.hex(8);
    yield* leg.send(t + 1200 * US, 1, [{ text: sipResponse({ status: 200, via, from, to: { ...to, tag: toTag }, callId, cseq, headers: [['Allow', ALLOW], ['Accept', 'application/sdp']] }), label: '200' }]);
  }
}

// ---------------------------------------------------------------------------
// The demo story

const SIDE_A_ROUTER = new Host('side A CallRouter', '10.10.1.11', 128);
const SIDE_B_ROUTER = new Host('side B CallRouter', '10.10.2.11', 128);
const SIDE_A_LOGGER = new Host('side A Logger', '10.10.1.21', 128);
const SIDE_B_LOGGER = new Host('side B Logger', '10.10.2.21', 128);
const PROXY = new Host('SIP proxy', '10.20.0.10', 64, 'fd00::10');
const CALL_SERVER = new Host('call server', '10.20.0.20', 64, 'fd00::20');

export interface HeartbeatGapFacts {
  afterSeq: number;
  nextSeq: number;
  missing: number;
  lastBeforeEpoch: string;
  firstAfterEpoch: string;
  /** Last heartbeat heard + 5 x 100 ms: the moment the receiver gives up (only for runs of 5 or more). */
  fifthMissDeadlineEpoch: string | null;
  failover: boolean;
}

export interface HeartbeatStreamFacts {
  name: string;
  pair: number;
  direction: 'A->B' | 'B->A';
  src: string;
  dst: string;
  sport: number;
  dport: number;
  byteOrder: ByteOrder;
  dscp: number;
  firstSeq: number;
  lastSeq: number;
  received: number;
  lost: number;
  gaps: HeartbeatGapFacts[];
  restarts: Array<{ fromSeq: number; toSeq: number; epoch: string; frame: number }>;
}

export interface CallFacts {
  name: string;
  phone: string;
  transport: 'UDP' | 'TCP';
  outcome: 'answered' | 'cancelled' | 'busy';
  callId: string;
  codec: string | null;
  phoneRtp: string | null;
  serverRtp: string | null;
  phoneRtpDscp: number | null;
  byeFrom: 'phone' | 'server' | null;
}

export interface RtpStreamFacts {
  flow: string;
  payloadType: number;
  dscp: number;
  packets: number;
  firstEpoch: string;
  lastEpoch: string;
}

export interface DemoFacts {
  file: string;
  linkType: 'ethernet';
  format: 'pcap, little-endian, microsecond timestamps';
  startEpoch: string;
  startIso: string;
  firstPacketEpoch: string;
  lastPacketEpoch: string;
  packets: number;
  fileBytes: number;
  framesByApp: Record<AppLabel, number>;
  ipv6Frames: number;
  /** DSCP value -> frames (IPv4 and IPv6). */
  dscpHistogram: Record<string, number>;
  dscpByApp: Record<AppLabel, Record<string, number>>;
  heartbeats: HeartbeatStreamFacts[];
  failovers: Array<{ pair: number; noticedBy: string; lastHeardEpoch: string; fifthMissDeadlineEpoch: string; rstEpoch: string; rstFrame: number; rstSrc: string; rstDst: string }>;
  tcpResets: Array<{ frame: number; epoch: string; src: string; dst: string }>;
  sip: {
    messages: number;
    requests: Record<string, number>;
    responses: Record<string, number>;
    overTcpMessages: number;
    overIpv6Messages: number;
    optionsUnanswered: number;
  };
  calls: CallFacts[];
  rtp: RtpStreamFacts[];
}

function epochStr(startSec: number, t: number): string {
  const sec = startSec + Math.floor(t / S);
  const usec = Math.floor((t % S) / US);
  return `${sec}.${String(usec).padStart(6, '0')}`;
}

interface DemoPlan {
  roots: Array<Iterator<StreamItem>>;
  hbMeta: Map<string, { pair: number; direction: 'A->B' | 'B->A'; spec: HeartbeatDirectionSpec; dir: HeartbeatDirection }>;
  calls: CallSpec[];
  optionsUnanswered: number;
}

function demoPlan(seed: number): DemoPlan {
  const end = DEMO_SECONDS * S;
  const count = DEMO_SECONDS * 10;
  const mk = (name: string, src: Host, dst: Host, sport: number, dport: number, order: ByteOrder, phaseMs: number, firstSeq: number, loss: LossRun[], restartAt?: number): HeartbeatDirection =>
    new HeartbeatDirection({
      name, src, dst, sport, dport, order, phase: phaseMs * MS, jitter: 2 * MS, firstSeq, count, dscp: DSCP_AF31, seed: hash32(seed, firstSeq, sport),
      impairments: { bursts: burstsAt(loss), restarts: restartAt === undefined ? [] : [{ atMs: restartAt * HEARTBEAT_INTERVAL_MS }] },
    });

  // Pair 1 (CallRouters, little-endian): B->A loses heartbeats 300..304 (~30.06-30.46 s): five in a row, so A resets.
  const p1ab = mk('pair1 A->B', SIDE_A_ROUTER, SIDE_B_ROUTER, 39600, 39601, 'le', 12, 120000, []);
  const p1ba = mk('pair1 B->A', SIDE_B_ROUTER, SIDE_A_ROUTER, 39601, 39600, 'le', 57, 119993, [{ start: 300, count: 5 }]);
  // Pair 2 (Loggers, big-endian): A->B loses 200..203, four in a row: the boundary, no reset. B's MDS is cycled at heartbeat 450 (~45 s).
  const p2ab = mk('pair2 A->B', SIDE_A_LOGGER, SIDE_B_LOGGER, 39700, 39701, 'be', 33, 52000, [{ start: 200, count: 4 }]);
  const p2ba = mk('pair2 B->A', SIDE_B_LOGGER, SIDE_A_LOGGER, 39701, 39700, 'be', 81, 4301, [], 450);

  const hbMeta: DemoPlan['hbMeta'] = new Map();
  const meta = (d: HeartbeatDirection, pair: number, direction: 'A->B' | 'B->A'): void => {
    hbMeta.set(d.spec.name, { pair, direction, spec: d.spec, dir: d });
  };
  meta(p1ab, 1, 'A->B');
  meta(p1ba, 1, 'B->A');
  meta(p2ab, 2, 'A->B');
  meta(p2ba, 2, 'B->A');

  const mdsTcp = mdsTcpStream({
    a: { host: SIDE_A_ROUTER, port: 50732 },
    b: { host: SIDE_B_ROUTER, port: 39610 },
    connectAt: 200 * MS,
    firstExchange: 1 * S,
    every: 2 * S,
    aToB: p1ab,
    bToA: p1ba,
    reconnectAfter: null,
    endAt: end,
    seed: hash32(seed, 3),
  });

  const phone = (n: number): Host => new Host(`phone ${n}`, `10.30.0.${n}`, 64);
  const tcpPhone = phone(106);
  const tcpConn = new TcpConn([{ host: tcpPhone, port: 51234 }, { host: PROXY, port: SIP_PORT }], DSCP_CS3, new Rng(hash32(seed, 4)), 'sip');
  const base = { proxy: PROXY, server: CALL_SERVER, talkFor: 0, byeFrom: 'phone' as const, pt: 0, phoneDscp: DSCP_EF, transport: 'UDP' as const };
  const calls: CallSpec[] = [
    { ...base, name: 'call 1', phone: phone(101), ext: 1101, dialed: 8001, outcome: 'answered', start: 5 * S, ringFor: 2 * S, talkFor: 5 * S, pt: 0, phoneRtpPort: 16384, serverRtpPort: 24576, seed: hash32(seed, 101) },
    // Call 2: phone .102 sends its RTP unmarked (DSCP 0): the misconfigured phone the DSCP audit should find.
    { ...base, name: 'call 2', phone: phone(102), ext: 1102, dialed: 8002, outcome: 'answered', start: 9 * S, ringFor: 1500 * MS, talkFor: 4 * S, byeFrom: 'server', pt: 8, phoneRtpPort: 16386, serverRtpPort: 24578, phoneDscp: DSCP_BE, seed: hash32(seed, 102) },
    { ...base, name: 'call 3', phone: phone(104), ext: 1104, dialed: 8001, outcome: 'cancelled', start: 14 * S, ringFor: 3 * S, phoneRtpPort: 16388, serverRtpPort: 24580, seed: hash32(seed, 104) },
    { ...base, name: 'call 4', phone: phone(105), ext: 1105, dialed: 8003, outcome: 'busy', start: 19 * S, ringFor: 0, phoneRtpPort: 16390, serverRtpPort: 24582, seed: hash32(seed, 105) },
    { ...base, name: 'call 5', phone: tcpPhone, ext: 1106, dialed: 8001, transport: 'TCP', conn: tcpConn, openConnAt: 21800 * MS, outcome: 'answered', start: 22 * S, ringFor: 1 * S, talkFor: 3 * S, pt: 0, phoneRtpPort: 16392, serverRtpPort: 24584, splitInviteAt: 600, seed: hash32(seed, 106) },
    { ...base, name: 'call 6', phone: phone(103), ext: 1103, dialed: 8002, outcome: 'answered', start: 33 * S, ringFor: 2500 * MS, talkFor: 4 * S, pt: 0, phoneRtpPort: 16394, serverRtpPort: 24586, seed: hash32(seed, 103) },
  ];

  // Proxy pings the call server at 2.5 s + 5 s*n, the call server pings the proxy at 4 s + 5 s*n; from 45 s the call server stops answering the proxy.
  const optX = optionsStream({ from: PROXY, to: CALL_SERVER, first: 2500 * MS, every: 5 * S, unansweredFrom: 45 * S, count: 12, v6: false, seed: hash32(seed, 5) });
  const optC = optionsStream({ from: CALL_SERVER, to: PROXY, first: 4 * S, every: 5 * S, unansweredFrom: Infinity, count: 12, v6: false, seed: hash32(seed, 6) });
  const optV6 = optionsStream({ from: PROXY, to: CALL_SERVER, first: 12300 * MS, every: 5 * S, unansweredFrom: Infinity, count: 1, v6: true, seed: hash32(seed, 7) });
  const optionsUnanswered = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].filter((i) => 2500 * MS + i * 5 * S >= 45 * S).length;

  const roots: Array<Iterator<StreamItem>> = [p1ab.stream(), p1ba.stream(), p2ab.stream(), p2ba.stream(), mdsTcp, optX, optC, optV6, ...calls.map(callStream)];
  return { roots, hbMeta, calls, optionsUnanswered };
}

/** Writes captures/demo.pcap (or any path) and returns the facts that demo.md states, measured from the packets written. */
export function writeDemoCapture(file: string, seed = DEMO_SEED): DemoFacts {
  const plan = demoPlan(seed);
  const w = new PcapWriter(file, { endian: 'le', precision: 'us' });
  const start = DEMO_START_SEC;
  const apps: AppLabel[] = ['mds-heartbeat', 'mds-tcp', 'sip', 'rtp'];
  const framesByApp = Object.fromEntries(apps.map((a) => [a, 0])) as Record<AppLabel, number>;
  const dscpByApp = Object.fromEntries(apps.map((a) => [a, {}])) as Record<AppLabel, Record<string, number>>;
  const dscpHistogram: Record<string, number> = {};
  const requests: Record<string, number> = {};
  const responses: Record<string, number> = {};
  let sipMessages = 0;
  let overTcp = 0;
  let overV6 = 0;
  let ipv6Frames = 0;
  const hb = new Map<string, { seqs: Array<{ seq: number; t: number; frame: number }> }>();
  const rtp = new Map<string, RtpStreamFacts>();
  const resets: DemoFacts['tcpResets'] = [];
  let frame = 0;
  let first = -1;
  let last = -1;

  for (const e of merge(plan.roots)) {
    frame++;
    if (first < 0) first = e.t;
    last = e.t;
    w.writePacket(start + Math.floor(e.t / S), e.t % S, e.frame);
    const tag = e.tag;
    framesByApp[tag.app]++;
    dscpHistogram[tag.dscp] = (dscpHistogram[tag.dscp] ?? 0) + 1;
    dscpByApp[tag.app][tag.dscp] = (dscpByApp[tag.app][tag.dscp] ?? 0) + 1;
    if (tag.v6) ipv6Frames++;
    for (const m of tag.sip ?? []) {
      sipMessages++;
      if (/^\d+$/.test(m)) responses[m] = (responses[m] ?? 0) + 1;
      else requests[m] = (requests[m] ?? 0) + 1;
      if (tag.tcp) overTcp++;
      if (tag.v6) overV6++;
    }
    if (tag.hb) {
      const s = hb.get(tag.hb.stream) ?? { seqs: [] };
      s.seqs.push({ seq: tag.hb.seq, t: e.t, frame });
      hb.set(tag.hb.stream, s);
    }
    if (tag.rtp) {
      const r = rtp.get(tag.rtp.flow);
      if (r) {
        r.packets++;
        r.lastEpoch = epochStr(start, e.t);
      } else {
        rtp.set(tag.rtp.flow, { flow: tag.rtp.flow, payloadType: tag.rtp.pt, dscp: tag.dscp, packets: 1, firstEpoch: epochStr(start, e.t), lastEpoch: epochStr(start, e.t) });
      }
    }
    if (tag.rst) resets.push({ frame, epoch: epochStr(start, e.t), src: tag.rst.src, dst: tag.rst.dst });
  }
  w.close();

  const heartbeats: HeartbeatStreamFacts[] = [];
  const failovers: DemoFacts['failovers'] = [];
  for (const [name, m] of plan.hbMeta) {
    const seqs = hb.get(name)?.seqs ?? [];
    const gaps: HeartbeatGapFacts[] = [];
    const restarts: HeartbeatStreamFacts['restarts'] = [];
    let lost = 0;
    for (let i = 1; i < seqs.length; i++) {
      const a = seqs[i - 1];
      const b = seqs[i];
      if (b.seq < a.seq) {
        restarts.push({ fromSeq: a.seq, toSeq: b.seq, epoch: epochStr(start, b.t), frame: b.frame });
      } else if (b.seq - a.seq > 1) {
        const missing = b.seq - a.seq - 1;
        lost += missing;
        const failover = missing >= MISSES_FOR_FAILOVER;
        const deadline = a.t + MISSES_FOR_FAILOVER * HEARTBEAT_INTERVAL_NS;
        gaps.push({ afterSeq: a.seq, nextSeq: b.seq, missing, lastBeforeEpoch: epochStr(start, a.t), firstAfterEpoch: epochStr(start, b.t), fifthMissDeadlineEpoch: failover ? epochStr(start, deadline) : null, failover });
        if (failover) {
          const rst = resets.find((r) => r.src.startsWith(`${m.spec.dst.ip}:`));
          if (!rst) throw new Error(`story bug: no RST for ${name}`);
          failovers.push({ pair: m.pair, noticedBy: `${m.spec.dst.name} (${m.spec.dst.ip})`, lastHeardEpoch: epochStr(start, a.t), fifthMissDeadlineEpoch: epochStr(start, deadline), rstEpoch: rst.epoch, rstFrame: rst.frame, rstSrc: rst.src, rstDst: rst.dst });
        }
      }
    }
    heartbeats.push({
      name,
      pair: m.pair,
      direction: m.direction,
      src: m.spec.src.ip,
      dst: m.spec.dst.ip,
      sport: m.spec.sport,
      dport: m.spec.dport,
      byteOrder: m.spec.order,
      dscp: m.spec.dscp,
      firstSeq: seqs[0].seq,
      lastSeq: seqs[seqs.length - 1].seq,
      received: seqs.length,
      lost,
      gaps,
      restarts,
    });
  }

  const calls: CallFacts[] = plan.calls.map((c) => {
    const answered = c.outcome === 'answered';
    return {
      name: c.name,
      phone: c.phone.ip,
      transport: c.transport,
      outcome: c.outcome,
      callId: callIdOf(c),
      codec: answered ? (c.pt === 0 ? 'PCMU (PT 0)' : 'PCMA (PT 8)') : null,
      phoneRtp: answered ? `${c.phone.ip}:${c.phoneRtpPort}` : null,
      serverRtp: answered ? `${c.server.ip}:${c.serverRtpPort}` : null,
      phoneRtpDscp: answered ? c.phoneDscp : null,
      byeFrom: answered ? c.byeFrom : null,
    };
  });

  const sortRec = (r: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(r).sort(([a], [b]) => (/^\d+$/.test(a) && /^\d+$/.test(b) ? Number(a) - Number(b) : a.localeCompare(b))));
  return {
    file: 'captures/demo.pcap',
    linkType: 'ethernet',
    format: 'pcap, little-endian, microsecond timestamps',
    startEpoch: `${start}.000000`,
    startIso: new Date(start * 1000).toISOString(),
    firstPacketEpoch: epochStr(start, first),
    lastPacketEpoch: epochStr(start, last),
    packets: frame,
    fileBytes: statSync(file).size,
    framesByApp,
    ipv6Frames,
    dscpHistogram: sortRec(dscpHistogram),
    dscpByApp: Object.fromEntries(apps.map((a) => [a, sortRec(dscpByApp[a])])) as Record<AppLabel, Record<string, number>>,
    heartbeats,
    failovers,
    tcpResets: resets,
    sip: { messages: sipMessages, requests: sortRec(requests), responses: sortRec(responses), overTcpMessages: overTcp, overIpv6Messages: overV6, optionsUnanswered: plan.optionsUnanswered },
    calls,
    rtp: [...rtp.values()],
  };
}

/** demo.md: a human description plus the facts as JSON (tests parse the ```json block). */
export function demoMarkdown(f: DemoFacts): string {
  const hbRows = f.heartbeats.map(
    (h) =>
      `| ${h.pair} | ${h.direction} | ${h.src}:${h.sport} → ${h.dst}:${h.dport} | ${h.byteOrder.toUpperCase()} | ${h.firstSeq} | ${h.lastSeq} | ${h.received} | ${h.lost} | ${
        [
          ...h.gaps.map((g) => `${g.missing} lost after ${g.afterSeq} (${g.failover ? 'reset' : 'no reset'})`),
          ...h.restarts.map((r) => `restart ${r.fromSeq} → ${r.toSeq} at ${r.epoch} (frame ${r.frame})`),
        ].join('; ') || '—'
      } |`,
  );
  const fo = f.failovers[0];
  const p2gap = f.heartbeats.find((h) => h.pair === 2 && h.gaps.length)?.gaps[0];
  const req = Object.entries(f.sip.requests).map(([k, v]) => `${k} ${v}`).join(', ');
  const resp = Object.entries(f.sip.responses).map(([k, v]) => `${k}: ${v}`).join(', ');
  const dscp = Object.entries(f.dscpHistogram).map(([k, v]) => `DSCP ${k}: ${v}`).join(', ');
  const callRows = f.calls.map((c) => `| ${c.name} | ${c.phone} | ${c.transport} | ${c.outcome} | ${c.codec ?? '—'} | ${c.phoneRtp ?? '—'} ↔ ${c.serverRtp ?? '—'} | ${c.phoneRtpDscp ?? '—'} | ${c.byeFrom ?? '—'} |`);
  return `# demo.pcap

Generated by \`captures/make-captures.ts\` (\`npm run captures\`); deterministic, so regenerating gives the same bytes.
Do not edit by hand: the JSON block at the end is what the tests compare against \`tshark\`'s reading of the file.

- Format: classic pcap, little-endian, microsecond timestamps, Ethernet (link type 1), snaplen 262144.
- Start ${f.startIso} (epoch ${f.startEpoch}); first packet ${f.firstPacketEpoch}, last ${f.lastPacketEpoch}.
- **${f.packets} frames**, ${f.fileBytes} bytes. By application: MDS heartbeats ${f.framesByApp['mds-heartbeat']}, MDS TCP ${f.framesByApp['mds-tcp']}, SIP (incl. TCP handshake/ACKs on 5060) ${f.framesByApp.sip}, RTP ${f.framesByApp.rtp}. IPv6 frames: ${f.ipv6Frames}.
- DSCP histogram (frames): ${dscp}.

## The story

**Private network of a duplexed router.** Side A is 10.10.1.0/24, side B 10.10.2.0/24; frames between the sides go through the
first-hop gateway (HSRP virtual MAC 00:00:0c:07:ac:01 / :02). Each MDS heartbeat is a UDP datagram whose payload is exactly one
4-byte sequence number, sent every 100 ms per direction (±2 ms jitter), +1 per heartbeat, marked AF31 (26).

| pair | dir | flow | order | first seq | last seq | received | lost | events |
|---|---|---|---|---|---|---|---|---|
${hbRows.join('\n')}

- **Pair 1 (CallRouters, little-endian)**: B→A loses five consecutive heartbeats. A last hears B at ${fo.lastHeardEpoch};
  the fifth missed 100 ms deadline is ${fo.fifthMissDeadlineEpoch} (last heard + 5 × 100 ms), and ${fo.rstEpoch} (30 ms later,
  frame ${fo.rstFrame}) side A sends a TCP RST+ACK ${fo.rstSrc} → ${fo.rstDst}. That RST ends the MDS TCP connection
  A:50732 → B:39610 (three-way handshake at ~0.2 s; a 96-byte request from A, a 48-byte answer from B and an ACK every 2 s from 1 s to 29 s;
  AF31). The connection is not re-opened. This is the only RST in the file.
- **Pair 2 (Loggers, big-endian)**: A→B loses exactly four consecutive heartbeats (last before the gap ${p2gap?.lastBeforeEpoch}, next ${p2gap?.firstAfterEpoch}):
  the boundary case, **no** reset. Side B's sender is cycled later (sequence falls back to 0 with no pause in timing): a restart, not a loss.
- Lost heartbeats still used up their sequence numbers (the sender sent them; the network dropped them), so lost = sequence gap − 1.
- Pair 1 starts at 120000 on purpose: a little-endian sequence whose first byte is 0x80–0xBF and second byte 0xC8, 0xC9, 0xCB,
  0xCC or 0xCE looks like an RTCP header to Wireshark's default-on UDP RTCP heuristic (tshark 4.0; starting at 118000, heartbeats
  118400–118463 would show as "Malformed RTCP"). A heartbeat dissector must decide by port and length, not by how the payload looks.

**SIP** (UDP 5060, CS3 = 24). Phones 10.30.0.x call through the proxy 10.20.0.10, which Record-Routes and forwards to the call
server 10.20.0.20 (so each message of a call appears twice: phone↔proxy and proxy↔call server). RTP flows phone ↔ call server,
20 ms G.711, ports from the SDP, EF (46) — except phone 10.30.0.102, which sends its RTP with DSCP 0 (the wrongly marked flow).

| call | phone | phone leg | outcome | codec | RTP | phone RTP DSCP | BYE from |
|---|---|---|---|---|---|---|---|
${callRows.join('\n')}

- Call 5's phone leg is SIP over TCP 5060 (connection 10.30.0.106:51234 → 10.20.0.10:5060, opened at 21.8 s and left open): its INVITE
  is split across two TCP segments, and the proxy's 100 Trying and 180 Ringing travel together in one segment.
- OPTIONS keepalives every 5 s: proxy → call server at 2.5 s + 5 s·n, call server → proxy at 4 s + 5 s·n, each a new transaction
  answered by 200 OK — except that from 45 s on the call server no longer answers the proxy (${f.sip.optionsUnanswered} OPTIONS without answer,
  at 47.5, 52.5 and 57.5 s; not retransmitted). One OPTIONS/200 exchange runs over IPv6, fd00::10 → fd00::20, at 12.3 s.
- SIP messages: ${f.sip.messages} (${f.sip.overTcpMessages} over TCP, ${f.sip.overIpv6Messages} over IPv6). Requests: ${req}. Responses: ${resp}.

## Facts (JSON)

\`\`\`json
${JSON.stringify(f, null, 2)}
\`\`\`
`;
}

// ---------------------------------------------------------------------------
// Large mixed captures for the benchmark

export interface MixedCaptureOptions {
  /** Stop after exactly this many packets. Default 100 000 when seconds is not given either. */
  packets?: number;
  /** Stop at this capture time. */
  seconds?: number;
  /** MDS heartbeat pairs (each with its TCP connection). Default 2. */
  heartbeatPairs?: number;
  /** Concurrent phone lines, each placing one call after another. Default 16. */
  calls?: number;
  seed?: number;
  format?: CaptureFormat;
  /** Epoch seconds of the capture start; default the demo's. */
  startSec?: number;
}

export interface MixedCaptureSummary {
  packets: number;
  bytes: number;
  /** Capture time of the last packet, seconds from the start. */
  seconds: number;
  framesByApp: Record<AppLabel, number>;
}

/** A phone line placing calls forever: answered (most), busy or cancelled, with idle time between. */
function* lineStream(i: number, seed: number): Generator<StreamItem> {
  const rng = new Rng(hash32(seed, 0x11e, i));
  const phone = new Host(`phone ${i}`, `10.30.${Math.floor(i / 200)}.${10 + (i % 200)}`, 64);
  const overTcp = i % 8 === 5;
  let conn: TcpConn | undefined;
  let t = rng.int(200, 5000) * MS;
  if (overTcp) {
    conn = new TcpConn([{ host: phone, port: 40000 + (i % 20000) }, { host: PROXY, port: SIP_PORT }], DSCP_CS3, rng, 'sip');
  }
  for (let n = 0; ; n++) {
    const r = rng.int(0, 99);
    const outcome: CallSpec['outcome'] = r < 80 ? 'answered' : r < 90 ? 'busy' : 'cancelled';
    const ringFor = rng.int(500, 6000) * MS;
    const talkFor = rng.int(10, 90) * S;
    const spec: CallSpec = {
      name: `line ${i} call ${n}`,
      phone,
      ext: 2000 + i,
      dialed: 8000 + rng.int(1, 9),
      proxy: PROXY,
      server: CALL_SERVER,
      transport: overTcp ? 'TCP' : 'UDP',
      conn,
      openConnAt: conn && n === 0 ? t - 100 * MS : undefined,
      outcome,
      start: t,
      ringFor,
      talkFor,
      byeFrom: rng.int(0, 1) ? 'phone' : 'server',
      pt: rng.int(0, 1) ? 8 : 0,
      phoneRtpPort: 16384 + 2 * (i % 8000),
      serverRtpPort: 32768 + 2 * (i % 16000),
      phoneDscp: i % 10 === 3 ? DSCP_BE : DSCP_EF,
      splitInviteAt: overTcp && n % 2 === 0 ? 500 : undefined,
      seed: hash32(seed, i, n),
    };
    yield* callStream(spec);
    const end = t + (outcome === 'answered' ? ringFor + talkFor : outcome === 'cancelled' ? ringFor : 0) + 100 * MS;
    t = end + rng.int(1000, 10000) * MS;
  }
}

/**
 * Writes a large mixed capture (heartbeats with occasional loss bursts and
 * resets, MDS TCP, SIP calls over UDP and TCP, RTP, OPTIONS pings on v4 and
 * v6), streaming: memory stays flat whatever the packet count.
 */
export function writeMixedCapture(file: string, opts: MixedCaptureOptions = {}): MixedCaptureSummary {
  const seed = opts.seed ?? DEMO_SEED;
  const pairs = opts.heartbeatPairs ?? 2;
  const lines = opts.calls ?? 16;
  const limitPackets = opts.packets ?? (opts.seconds === undefined ? 100_000 : Infinity);
  const limitTime = opts.seconds === undefined ? Infinity : opts.seconds * S;
  const start = opts.startSec ?? DEMO_START_SEC;

  const roots: Array<Iterator<StreamItem>> = [];
  for (let i = 0; i < pairs; i++) {
    const octet = 11 + (i % 200);
    const aHost = new Host(`A${i}`, `10.10.${1 + 2 * Math.floor(i / 200)}.${octet}`, 128);
    const bHost = new Host(`B${i}`, `10.10.${2 + 2 * Math.floor(i / 200)}.${octet}`, 128);
    const portA = 39500 + ((2 * i) % 500);
    const order: ByteOrder = i % 2 === 0 ? 'le' : 'be';
    const dir = (name: string, src: Host, dst: Host, sport: number, dport: number, k: number): HeartbeatDirection =>
      new HeartbeatDirection({
        name,
        src,
        dst,
        sport,
        dport,
        order,
        phase: (10 + (hash32(seed, i, k) % 80)) * MS,
        jitter: 2 * MS,
        firstSeq: hash32(seed, i, k, 1) % 1_000_000,
        impairments: { hashedBursts: { seed: hash32(seed, i, k, 2), window: MIXED_BURST_WINDOW, margin: MIXED_BURST_MARGIN, lengths: MIXED_BURST_LENGTHS } },
        count: Infinity,
        dscp: DSCP_AF31,
        seed: hash32(seed, i, k, 3),
      });
    const ab = dir(`pair${i} A->B`, aHost, bHost, portA, portA + 1, 0);
    const ba = dir(`pair${i} B->A`, bHost, aHost, portA + 1, portA, 1);
    roots.push(ab.stream(), ba.stream());
    roots.push(mdsTcpStream({ a: { host: aHost, port: 50000 + 500 * (i % 30) }, b: { host: bHost, port: 39610 }, connectAt: 200 * MS, firstExchange: 1 * S, every: 2 * S, aToB: ab, bToA: ba, reconnectAfter: 2 * S, endAt: Infinity, seed: hash32(seed, i, 4) }));
  }
  roots.push(optionsStream({ from: PROXY, to: CALL_SERVER, first: 2500 * MS, every: 5 * S, unansweredFrom: Infinity, count: Infinity, v6: false, seed: hash32(seed, 5) }));
  roots.push(optionsStream({ from: CALL_SERVER, to: PROXY, first: 4 * S, every: 5 * S, unansweredFrom: Infinity, count: Infinity, v6: false, seed: hash32(seed, 6) }));
  roots.push(optionsStream({ from: PROXY, to: CALL_SERVER, first: 1 * S, every: 10 * S, unansweredFrom: Infinity, count: Infinity, v6: true, seed: hash32(seed, 7) }));
  for (let i = 0; i < lines; i++) roots.push(lineStream(i, seed));

  const w: PacketSink = openCaptureWriter(file, opts.format ?? 'pcap', { precision: 'us' });
  const framesByApp: Record<AppLabel, number> = { 'mds-heartbeat': 0, 'mds-tcp': 0, sip: 0, rtp: 0 };
  let n = 0;
  let last = 0;
  for (const e of merge(roots)) {
    if (n >= limitPackets || e.t > limitTime) break;
    w.writePacket(start + Math.floor(e.t / S), e.t % S, e.frame);
    framesByApp[e.tag.app]++;
    last = e.t;
    n++;
  }
  w.close();
  return { packets: n, bytes: w.bytesWritten, seconds: last / S, framesByApp };
}

// ---------------------------------------------------------------------------
// CLI

function repoRoot(): string {
  // Works from captures/ (tsx) and from dist/captures/ (compiled): walk up to package.json.
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) throw new Error('package.json not found above make-captures');
    d = up;
  }
  return d;
}

function main(argv: string[]): void {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string): number | undefined => {
    const v = arg(name);
    return v === undefined ? undefined : Number(v);
  };
  const mixed = arg('--mixed');
  if (mixed) {
    const t0 = process.hrtime.bigint();
    const fmt = arg('--format');
    const r = writeMixedCapture(resolve(mixed), { packets: num('--packets'), seconds: num('--seconds'), heartbeatPairs: num('--pairs'), calls: num('--calls'), seed: num('--seed'), format: fmt === 'pcapng' ? 'pcapng' : 'pcap' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    process.stdout.write(`${mixed}: ${r.packets} packets, ${r.bytes} bytes, ${r.seconds.toFixed(1)} s of traffic, written in ${ms.toFixed(0)} ms\n`);
    return;
  }
  const dir = arg('--out-dir') ?? join(repoRoot(), 'captures');
  mkdirSync(dir, { recursive: true });
  const pcap = join(dir, 'demo.pcap');
  const facts = writeDemoCapture(pcap);
  writeFileSync(join(dir, 'demo.md'), demoMarkdown(facts));
  process.stdout.write(`${pcap}: ${facts.packets} packets, ${facts.fileBytes} bytes\n`);
}

if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  main(process.argv.slice(2));
}
