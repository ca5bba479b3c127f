// RTP streams over IPv4 by their numbers: an open-addressing table keyed by
// the SSRC (random 32 bits, near unique on its own) and checked against the
// addresses and ports. The keys sit in one Int32Array, four to a slot: a
// key held in an object field past 2^30 is a boxed number, and comparing
// boxes on every packet cost more than all of the stream's statistics.

import type { RtpColumns } from './rtp-stream.js';

export interface Ipv4StreamKey {
  readonly src4: number;
  readonly dst4: number;
  /** sport << 16 | dport */
  readonly ports: number;
  readonly ssrc: number;
}

export class Ipv4StreamIndex<V extends Ipv4StreamKey> {
  private keys: Int32Array;
  private values: Array<V | undefined>;
  private mask: number;
  private count = 0;

  constructor(expected: number) {
    let size = 64;
    while (size < expected * 2) size *= 2;
    this.keys = new Int32Array(size * 4);
    this.values = new Array<V | undefined>(size).fill(undefined);
    this.mask = size - 1;
  }

  /** The stream of datagram i of the columns (read in place: see RtpStream.add). */
  get(c: RtpColumns, i: number): V | undefined {
    const src4 = c.src[i];
    const dst4 = c.dst[i];
    const ports = (c.sport[i] << 16) | c.dport[i];
    const ssrc = c.rtpSsrc[i] | 0;
    const keys = this.keys;
    const mask = this.mask;
    for (let k = slotOf(ssrc, ports, mask); ; k = (k + 1) & mask) {
      const v = this.values[k];
      if (v === undefined) return undefined;
      const o = k << 2;
      if (keys[o + 3] === ssrc && keys[o + 2] === ports && keys[o] === src4 && keys[o + 1] === dst4) return v;
    }
  }

  /** `v` must not be in the table yet. */
  add(v: V): void {
    if ((this.count + 1) * 2 > this.values.length) this.rebuild([...this.all()], this.values.length * 2);
    this.place(v);
    this.count++;
  }

  /** Keep only the values `keep` says to (after evictions). */
  retain(keep: (v: V) => boolean): void {
    this.rebuild([...this.all()].filter(keep), this.values.length);
  }

  private *all(): IterableIterator<V> {
    for (const v of this.values) if (v !== undefined) yield v;
  }

  private rebuild(values: V[], size: number): void {
    this.keys = new Int32Array(size * 4);
    this.values = new Array<V | undefined>(size).fill(undefined);
    this.mask = size - 1;
    this.count = values.length;
    for (const v of values) this.place(v);
  }

  private place(v: V): void {
    const ssrc = v.ssrc | 0;
    const ports = v.ports | 0;
    let k = slotOf(ssrc, ports, this.mask);
    while (this.values[k] !== undefined) k = (k + 1) & this.mask;
    this.values[k] = v;
    const o = k << 2;
    this.keys[o] = v.src4;
    this.keys[o + 1] = v.dst4;
    this.keys[o + 2] = ports;
    this.keys[o + 3] = ssrc;
  }
}

function slotOf(ssrc: number, ports: number, mask: number): number {
  const h = Math.imul(ssrc ^ ports, 0x9e3779b1);
  return (h ^ (h >>> 15)) & mask;
}
