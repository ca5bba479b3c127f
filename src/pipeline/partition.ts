// One worker's share of a capture split by conversation (analyze FILE
// --workers N): every worker reads the whole file, and the UDP datagrams
// that are neither SIP nor on a heartbeat or SIP port go to one worker by
// their two ends (address and port, the port's last bit left out) taken
// either way round, so both directions of a stream and its RTCP on the next
// port stay together; what ties streams further (RTCP by SSRC) is checked
// by the merge. Everything else (SIP, TCP, heartbeats, non-IP) is part 0's;
// the other parts still run the SIP through the pipeline as context, for the
// SDP that decides which datagrams are RTP and names their calls, with the
// pipeline's counts of it taken back out.

import { newIpUdpFields, onHeartbeatPort, readIpUdp, udpPayloadIsSip } from '../../dissectors/frame.js';
import type { FrameInfo } from '../../dissectors/types.js';
import type { FrameSink } from '../sources/types.js';
import type { Pipeline } from './pipeline.js';

export interface Partition {
  index: number;
  count: number;
}

/** The SIP ports whose datagrams stay with part 0 whatever they carry (CRLF keepalives beside the SIP). */
const SIP_PORTS: ReadonlySet<number> = new Set([5060, 5061]);

const SHARED = -1;
/**
 * Part 0's share of the conversations against another part's 1: it has all
 * the SIP, TCP and heartbeats besides (on the bench's mixed shape, 2 parts
 * by host pair: 1.75 s of CPU for part 0 against 1.25 s for part 1 at equal
 * shares).
 */
const PART0_WEIGHT = 0.5;
const BUCKETS = 65536;

/** A 32-bit finalizer (murmur3's): every input bit moves every output bit. */
function mix(x: number): number {
  let h = x ^ (x >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** An IPv6 address's 16 bytes at b[at..] as 32 bits. */
function fold6(b: Uint8Array, at: number): number {
  let h = 0;
  for (let k = 0; k < 16; k += 4) h = mix(h ^ ((b[at + k] << 24) | (b[at + k + 1] << 16) | (b[at + k + 2] << 8) | b[at + k + 3]));
  return h;
}

/** A FrameSink that hands the pipeline this part's datagrams and, on parts other than 0, the rest as context. */
export class PartitionSink implements FrameSink {
  /** The pipeline's numbers the context frames added, to be taken back out of its stats. */
  readonly contextStats = { frames: 0, errors: 0, fragmentsReassembled: 0, tcpGapBytes: 0, sipGarbageBytes: 0, flows: 0 };
  private readonly fields = newIpUdpFields();
  /** The last frame owner() read was a whole UDP datagram (its fields read). */
  private udp = false;

  /** Hash buckets below this are part 0's; the rest are shared evenly among the others. */
  private readonly part0Buckets: number;

  /** `context.on` is true while the pipeline handles a frame given only as context: its records are not this part's to count. */
  constructor(private readonly pipeline: Pipeline, private readonly part: Partition, private readonly heartbeatPorts: readonly [number, number], private readonly context: { on: boolean }) {
    this.part0Buckets = Math.round((BUCKETS * PART0_WEIGHT) / (PART0_WEIGHT + part.count - 1));
  }

  readonly frameInPlace = (info: FrameInfo, b: Uint8Array, start: number): boolean => {
    const owner = this.owner(info.linkType, b, start, start + info.caplen);
    if (owner === SHARED) {
      if (this.part.index === 0) return this.udp && info.caplen === info.len && this.pipeline.laneDatagram(info, b, this.fields);
      // Datagrams of part 0 teach the others nothing (heartbeats, keepalives, SIP without an m= line); the rest comes back through frame().
      return this.udp && info.caplen === info.len && !(udpPayloadIsSip(b, this.fields) && this.mentionsMedia(b));
    }
    // The headers are read already: the pipeline need not read them again.
    return owner !== this.part.index || (this.udp && info.caplen === info.len && this.pipeline.laneDatagram(info, b, this.fields));
  };

  readonly frame = (info: FrameInfo, bytes: Uint8Array): void => {
    const owner = this.owner(info.linkType, bytes, 0, info.caplen);
    if (owner === this.part.index || (owner === SHARED && this.part.index === 0)) this.pipeline.frame(info, bytes);
    else if (owner === SHARED) this.asContext(info, bytes);
  };

  readonly flush = (): void => this.pipeline.flush();

  /** The part a frame belongs to, or SHARED. */
  private owner(linkType: number, b: Uint8Array, start: number, end: number): number {
    const f = this.fields;
    this.udp = readIpUdp(linkType, b, start, end, f);
    if (!this.udp) return SHARED;
    if (SIP_PORTS.has(f.sport) || SIP_PORTS.has(f.dport) || onHeartbeatPort(f.sport, f.dport, this.heartbeatPorts) || udpPayloadIsSip(b, this.fields)) return SHARED;
    // The two ends either way round, the smaller first (XOR alone would send 10.0.k.1-10.0.k.2 for every k to one part);
    // a port's last bit left out, so RTCP on the RTP port + 1 goes with its stream.
    const a = mix((f.version === 4 ? f.src >>> 0 : fold6(b, f.srcOffset)) ^ Math.imul(f.sport >>> 1, 0x9e3779b1));
    const z = mix((f.version === 4 ? f.dst >>> 0 : fold6(b, f.dstOffset)) ^ Math.imul(f.dport >>> 1, 0x9e3779b1));
    const h = mix(Math.imul(a < z ? a : z, 31) ^ (a < z ? z : a));
    const bucket = h >>> 16;
    const first = this.part0Buckets;
    return bucket < first ? 0 : 1 + Math.floor(((bucket - first) * (this.part.count - 1)) / (BUCKETS - first));
  }

  /**
   * Whether the datagram's payload holds "m=" anywhere: SIP without it
   * announces no media (SDP's media lines are all the context is read
   * for), and the SIP parse is most of what the context costs.
   */
  private mentionsMedia(b: Uint8Array): boolean {
    const end = this.fields.payloadEnd - 1;
    for (let i = this.fields.payload; i < end; i++) if (b[i] === 0x6d && b[i + 1] === 0x3d) return true;
    return false;
  }

  /** A frame of part 0 through the pipeline for what it teaches, its counts kept apart. */
  private asContext(info: FrameInfo, bytes: Uint8Array): void {
    const s = this.pipeline.stats;
    const c = this.contextStats;
    const before = [s.frames, s.errors, s.fragmentsReassembled, s.tcpGapBytes, s.sipGarbageBytes, s.flows.interned];
    this.context.on = true;
    try {
      this.pipeline.frame(info, bytes);
    } finally {
      this.context.on = false;
    }
    c.frames += s.frames - before[0];
    c.errors += s.errors - before[1];
    c.fragmentsReassembled += s.fragmentsReassembled - before[2];
    c.tcpGapBytes += s.tcpGapBytes - before[3];
    c.sipGarbageBytes += s.sipGarbageBytes - before[4];
    c.flows += s.flows.interned - before[5];
  }
}
