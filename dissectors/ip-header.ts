// What IPv4 and IPv6 headers share: the IpHeader fields, addresses kept as
// integers by the subclass and turned into text only when read (most packets
// are only counted, never printed or keyed by address), and plain JSON.

import type { IpFragmentInfo, IpHeader } from './types.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** Big-endian 32-bit word at `o`, as a signed integer. */
export function i32(b: Uint8Array, o: number): number {
  return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
}

export abstract class LazyAddressIpHeader implements IpHeader {
  declare readonly version: 4 | 6;
  declare dscp: number;
  declare ecn: number;
  declare ttl: number;
  declare proto: number;
  declare id: number;
  declare fragment: IpFragmentInfo | null;
  /** Text made on first read, or set by a caller that rewrites the address. */
  declare private srcText: string | null;
  declare private dstText: string | null;

  constructor(version: 4 | 6, dscp: number, ecn: number, ttl: number, proto: number, id: number, fragment: IpFragmentInfo | null) {
    this.version = version;
    this.dscp = dscp;
    this.ecn = ecn;
    this.ttl = ttl;
    this.proto = proto;
    this.id = id;
    this.fragment = fragment;
    this.srcText = null;
    this.dstText = null;
  }

  protected abstract srcToText(): string;
  protected abstract dstToText(): string;

  get src(): string {
    return (this.srcText ??= this.srcToText());
  }

  set src(text: string) {
    this.srcText = text;
  }

  get dst(): string {
    return (this.dstText ??= this.dstToText());
  }

  set dst(text: string) {
    this.dstText = text;
  }

  /** The plain IpHeader fields, as JSON and the other dissectors' records show them. */
  toJSON(): IpHeader {
    return { version: this.version, src: this.src, dst: this.dst, dscp: this.dscp, ecn: this.ecn, ttl: this.ttl, proto: this.proto, id: this.id, fragment: this.fragment };
  }

  [INSPECT](): IpHeader {
    return this.toJSON();
  }
}
