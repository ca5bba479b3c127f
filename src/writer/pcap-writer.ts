// Streaming capture writers: classic libpcap and pcapng.
//
// Both write through one reusable buffer onto a file descriptor with
// fs.writeSync: a packet costs a header write into the buffer and one copy of
// its bytes, with no per-packet allocation and no promise, so millions of
// packets stream at disk speed with flat memory. close() flushes.
//
// Timestamps are (seconds, nanoseconds) integer pairs everywhere: a double
// holding epoch nanoseconds would lose precision (2^53 ns is ~104 days).

import { closeSync, openSync, writeSync } from 'node:fs';
import { outputError } from '../common/io-errors.js';

// ---------------------------------------------------------------------------
// Link types (https://www.tcpdump.org/linktypes.html)

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;

// ---------------------------------------------------------------------------
// Classic pcap layout

export const PCAP_MAGIC_MICRO = 0xa1b2c3d4;
export const PCAP_MAGIC_NANO = 0xa1b23c4d;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;
export const PCAP_FILE_HEADER_LEN = 24;
export const PCAP_FILE_FIELD = {
  MAGIC: 0,
  VERSION_MAJOR: 4,
  VERSION_MINOR: 6,
  THISZONE: 8,
  SIGFIGS: 12,
  SNAPLEN: 16,
  LINKTYPE: 20,
} as const;
export const PCAP_RECORD_HEADER_LEN = 16;
export const PCAP_RECORD_FIELD = { TS_SEC: 0, TS_FRAC: 4, CAPLEN: 8, ORIGLEN: 12 } as const;
export const DEFAULT_SNAPLEN = 262144;

// ---------------------------------------------------------------------------
// pcapng layout (draft-ietf-opsawg-pcapng)

export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_IDB = 0x00000001;
export const PCAPNG_EPB = 0x00000006;
/** Custom Block that may be copied to new files / must not be (the 0x4000_0000 bit). */
export const PCAPNG_CB_COPY = 0x00000bad;
export const PCAPNG_CB_NOCOPY = 0x40000bad;
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** Block header: type + total length; trailer: total length again. */
export const PCAPNG_BLOCK_HEADER_LEN = 8;
export const PCAPNG_BLOCK_TRAILER_LEN = 4;
export const PCAPNG_SHB_FIELD = { TYPE: 0, TOTAL_LEN: 4, BYTE_ORDER: 8, VERSION_MAJOR: 12, VERSION_MINOR: 14, SECTION_LEN: 16, OPTIONS: 24 } as const;
export const PCAPNG_IDB_FIELD = { TYPE: 0, TOTAL_LEN: 4, LINKTYPE: 8, RESERVED: 10, SNAPLEN: 12, OPTIONS: 16 } as const;
export const PCAPNG_EPB_FIELD = { TYPE: 0, TOTAL_LEN: 4, IFACE: 8, TS_HIGH: 12, TS_LOW: 16, CAPLEN: 20, ORIGLEN: 24, DATA: 28 } as const;
export const PCAPNG_CB_FIELD = { TYPE: 0, TOTAL_LEN: 4, PEN: 8, DATA: 12 } as const;
export const PCAPNG_OPT = {
  ENDOFOPT: 0,
  COMMENT: 1,
  SHB_HARDWARE: 2,
  SHB_OS: 3,
  SHB_USERAPPL: 4,
  IF_NAME: 2,
  IF_DESCRIPTION: 3,
  IF_TSRESOL: 9,
} as const;
/** IANA's Private Enterprise Number reserved for documentation (RFC 5612): ucprobe has no PEN of its own. */
export const PEN_DOCUMENTATION = 32473;

// ---------------------------------------------------------------------------
// Public types

export type Endianness = 'le' | 'be';
export type TimestampPrecision = 'us' | 'ns';

/** What every writer accepts; generators write to this, not to a format. */
export interface PacketSink {
  /** data is captured bytes (cut to the snaplen); origLen defaults to data.length. */
  writePacket(tsSec: number, tsNsec: number, data: Uint8Array, origLen?: number): void;
  close(): void;
  readonly packetsWritten: number;
  readonly bytesWritten: number;
}

export interface PcapWriterOptions {
  endian?: Endianness;
  /** 'us' writes magic a1b2c3d4, 'ns' writes a1b23c4d. Default 'us'. */
  precision?: TimestampPrecision;
  snaplen?: number;
  linkType?: number;
  /** Bytes buffered before a write(2); default 1 MiB. */
  bufferSize?: number;
}

export interface PcapngInterfaceSpec {
  linkType: number;
  snaplen?: number;
  /** Written as if_tsresol (6 or 9). Default 'us'. */
  precision?: TimestampPrecision;
  name?: string;
  description?: string;
}

export interface PcapngWriterOptions {
  endian?: Endianness;
  /** IDBs written right after the SHB; more can be added with addInterface(). Default one Ethernet µs interface. */
  interfaces?: PcapngInterfaceSpec[];
  /** SHB opt_comment: a note about the whole file. */
  comment?: string;
  hardware?: string;
  os?: string;
  /** shb_userappl; default "ucprobe". */
  userAppl?: string;
  bufferSize?: number;
}

export interface PcapngPacketOptions {
  /** Interface index (order of IDBs); default 0. */
  iface?: number;
  origLen?: number;
  /** EPB opt_comment. */
  comment?: string;
}

export type CaptureFormat = 'pcap' | 'pcapng';

// ---------------------------------------------------------------------------
// Buffered file

const DEFAULT_BUFFER = 1 << 20;
const TWO32 = 0x1_0000_0000;

/** A write buffer over an fd; callers reserve room, fill it through `view`/`bytes`, and commit. */
class BufferedFile {
  readonly bytes: Buffer;
  readonly view: DataView;
  pos = 0;
  written = 0;
  private fd: number | null;

  /** A file that cannot be created or written (no such folder, disk full) is an OutputError naming it. */
  constructor(private readonly path: string, size: number) {
    try {
      this.fd = openSync(path, 'w');
    } catch (e) {
      throw outputError(path, e);
    }
    this.bytes = Buffer.allocUnsafe(Math.max(4096, size));
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length);
  }

  /** Makes room for n bytes at this.pos; false when n can never fit and the caller must use writeDirect. */
  reserve(n: number): boolean {
    if (this.fd === null) throw new Error('capture writer is closed');
    if (this.pos + n <= this.bytes.length) return true;
    this.flush();
    return n <= this.bytes.length;
  }

  /** Bypasses the buffer (after a flush) for a chunk larger than it. */
  writeDirect(chunk: Uint8Array): void {
    this.flush();
    this.write(chunk);
    this.written += chunk.length;
  }

  flush(): void {
    if (this.fd === null || this.pos === 0) return;
    this.write(this.bytes.subarray(0, this.pos));
    this.written += this.pos;
    this.pos = 0;
  }

  close(): void {
    if (this.fd === null) return;
    this.flush();
    closeSync(this.fd);
    this.fd = null;
  }

  get closed(): boolean {
    return this.fd === null;
  }

  private write(chunk: Uint8Array): void {
    try {
      writeAll(this.fd as number, chunk);
    } catch (e) {
      throw outputError(this.path, e);
    }
  }
}

function writeAll(fd: number, chunk: Uint8Array): void {
  let off = 0;
  while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
}

function checkTimestamp(tsSec: number, tsNsec: number): void {
  if (!Number.isInteger(tsSec) || tsSec < 0 || tsSec >= TWO32) throw new RangeError(`timestamp seconds out of range: ${tsSec}`);
  if (!Number.isInteger(tsNsec) || tsNsec < 0 || tsNsec >= 1e9) throw new RangeError(`timestamp nanoseconds out of range: ${tsNsec}`);
}

// ---------------------------------------------------------------------------
// What both writers share: the buffered file and the packet count.

abstract class BufferedSink implements PacketSink {
  protected readonly out: BufferedFile;
  protected count = 0;

  constructor(path: string, bufferSize: number | undefined) {
    this.out = new BufferedFile(path, bufferSize ?? DEFAULT_BUFFER);
  }

  abstract writePacket(tsSec: number, tsNsec: number, data: Uint8Array, origLen?: number): void;

  /** What is buffered, to the file now (a reader is about to open it). */
  flush(): void {
    this.out.flush();
  }

  close(): void {
    this.out.close();
  }

  get packetsWritten(): number {
    return this.count;
  }

  /** Bytes handed to the file so far, including what is still buffered. */
  get bytesWritten(): number {
    return this.out.written + this.out.pos;
  }
}

// ---------------------------------------------------------------------------
// Classic pcap

export class PcapWriter extends BufferedSink {
  readonly linkType: number;
  readonly snaplen: number;
  readonly precision: TimestampPrecision;
  readonly endian: Endianness;
  private readonly le: boolean;

  constructor(path: string, opts: PcapWriterOptions = {}) {
    super(path, opts.bufferSize);
    this.endian = opts.endian ?? 'le';
    this.precision = opts.precision ?? 'us';
    this.snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
    this.linkType = opts.linkType ?? LINKTYPE_ETHERNET;
    this.le = this.endian === 'le';
    const o = this.out;
    o.reserve(PCAP_FILE_HEADER_LEN);
    const v = o.view;
    const p = o.pos;
    v.setUint32(p + PCAP_FILE_FIELD.MAGIC, this.precision === 'ns' ? PCAP_MAGIC_NANO : PCAP_MAGIC_MICRO, this.le);
    v.setUint16(p + PCAP_FILE_FIELD.VERSION_MAJOR, PCAP_VERSION_MAJOR, this.le);
    v.setUint16(p + PCAP_FILE_FIELD.VERSION_MINOR, PCAP_VERSION_MINOR, this.le);
    v.setInt32(p + PCAP_FILE_FIELD.THISZONE, 0, this.le); // timestamps are UTC
    v.setUint32(p + PCAP_FILE_FIELD.SIGFIGS, 0, this.le);
    v.setUint32(p + PCAP_FILE_FIELD.SNAPLEN, this.snaplen, this.le);
    v.setUint32(p + PCAP_FILE_FIELD.LINKTYPE, this.linkType, this.le);
    o.pos += PCAP_FILE_HEADER_LEN;
  }

  writePacket(tsSec: number, tsNsec: number, data: Uint8Array, origLen: number = data.length): void {
    checkTimestamp(tsSec, tsNsec);
    const caplen = Math.min(data.length, this.snaplen);
    const frac = this.precision === 'ns' ? tsNsec : Math.floor(tsNsec / 1000);
    const o = this.out;
    const fits = o.reserve(PCAP_RECORD_HEADER_LEN + caplen);
    if (!fits) o.reserve(PCAP_RECORD_HEADER_LEN);
    const v = o.view;
    const p = o.pos;
    v.setUint32(p + PCAP_RECORD_FIELD.TS_SEC, tsSec, this.le);
    v.setUint32(p + PCAP_RECORD_FIELD.TS_FRAC, frac, this.le);
    v.setUint32(p + PCAP_RECORD_FIELD.CAPLEN, caplen, this.le);
    v.setUint32(p + PCAP_RECORD_FIELD.ORIGLEN, Math.max(origLen, caplen), this.le);
    o.pos += PCAP_RECORD_HEADER_LEN;
    const bytes = caplen === data.length ? data : data.subarray(0, caplen);
    if (fits) {
      o.bytes.set(bytes, o.pos);
      o.pos += caplen;
    } else {
      o.writeDirect(bytes);
    }
    this.count++;
  }

}

// ---------------------------------------------------------------------------
// pcapng

interface IfaceState {
  snaplen: number;
  ns: boolean;
  /** Cache of sec * units-per-second split into 32-bit halves: recomputed (with BigInt) only when the second changes. */
  cacheSec: number;
  baseHi: number;
  baseLo: number;
}

function optLen(valueLen: number): number {
  return 4 + ((valueLen + 3) & ~3);
}

export class PcapngWriter extends BufferedSink {
  readonly endian: Endianness;
  private readonly le: boolean;
  private readonly ifaces: IfaceState[] = [];

  constructor(path: string, opts: PcapngWriterOptions = {}) {
    super(path, opts.bufferSize);
    this.endian = opts.endian ?? 'le';
    this.le = this.endian === 'le';
    const options: Array<[number, Uint8Array]> = [];
    if (opts.comment !== undefined) options.push([PCAPNG_OPT.COMMENT, utf8(opts.comment)]);
    if (opts.hardware !== undefined) options.push([PCAPNG_OPT.SHB_HARDWARE, utf8(opts.hardware)]);
    if (opts.os !== undefined) options.push([PCAPNG_OPT.SHB_OS, utf8(opts.os)]);
    options.push([PCAPNG_OPT.SHB_USERAPPL, utf8(opts.userAppl ?? 'ucprobe')]);
    this.writeBlock(PCAPNG_SHB, 16, options, (v, p) => {
      v.setUint32(p + PCAPNG_SHB_FIELD.BYTE_ORDER, PCAPNG_BYTE_ORDER_MAGIC, this.le);
      v.setUint16(p + PCAPNG_SHB_FIELD.VERSION_MAJOR, 1, this.le);
      v.setUint16(p + PCAPNG_SHB_FIELD.VERSION_MINOR, 0, this.le);
      // Section length -1: unknown, so a reader must walk the blocks (we stream, so we cannot know it).
      v.setUint32(p + PCAPNG_SHB_FIELD.SECTION_LEN, 0xffffffff, this.le);
      v.setUint32(p + PCAPNG_SHB_FIELD.SECTION_LEN + 4, 0xffffffff, this.le);
    });
    for (const i of opts.interfaces ?? [{ linkType: LINKTYPE_ETHERNET }]) this.addInterface(i);
  }

  /** Writes an IDB; returns its interface index for writeEnhancedPacket. */
  addInterface(spec: PcapngInterfaceSpec): number {
    const ns = (spec.precision ?? 'us') === 'ns';
    const snaplen = spec.snaplen ?? DEFAULT_SNAPLEN;
    const options: Array<[number, Uint8Array]> = [];
    if (spec.name !== undefined) options.push([PCAPNG_OPT.IF_NAME, utf8(spec.name)]);
    if (spec.description !== undefined) options.push([PCAPNG_OPT.IF_DESCRIPTION, utf8(spec.description)]);
    // Written even for µs (the default) so a reader never has to guess.
    options.push([PCAPNG_OPT.IF_TSRESOL, Uint8Array.of(ns ? 9 : 6)]);
    this.writeBlock(PCAPNG_IDB, 8, options, (v, p) => {
      v.setUint16(p + PCAPNG_IDB_FIELD.LINKTYPE, spec.linkType, this.le);
      v.setUint16(p + PCAPNG_IDB_FIELD.RESERVED, 0, this.le);
      v.setUint32(p + PCAPNG_IDB_FIELD.SNAPLEN, snaplen, this.le);
    });
    this.ifaces.push({ snaplen, ns, cacheSec: -1, baseHi: 0, baseLo: 0 });
    return this.ifaces.length - 1;
  }

  writePacket(tsSec: number, tsNsec: number, data: Uint8Array, origLen?: number): void {
    this.writeEnhancedPacket(tsSec, tsNsec, data, origLen === undefined ? undefined : { origLen });
  }

  writeEnhancedPacket(tsSec: number, tsNsec: number, data: Uint8Array, opts?: PcapngPacketOptions): void {
    checkTimestamp(tsSec, tsNsec);
    const ifIndex = opts?.iface ?? 0;
    const ifc = this.ifaces[ifIndex];
    if (!ifc) throw new RangeError(`no interface ${ifIndex} (have ${this.ifaces.length})`);
    const caplen = Math.min(data.length, ifc.snaplen);
    const padded = (caplen + 3) & ~3;
    const comment = opts?.comment !== undefined ? utf8(opts.comment) : null;
    const optionsLen = comment ? optLen(comment.length) + 4 : 0;
    const total = PCAPNG_EPB_FIELD.DATA + padded + optionsLen + PCAPNG_BLOCK_TRAILER_LEN;

    if (ifc.cacheSec !== tsSec) {
      const base = BigInt(tsSec) * (ifc.ns ? 1_000_000_000n : 1_000_000n);
      ifc.baseHi = Number(base >> 32n);
      ifc.baseLo = Number(base & 0xffffffffn);
      ifc.cacheSec = tsSec;
    }
    let lo = ifc.baseLo + (ifc.ns ? tsNsec : Math.floor(tsNsec / 1000));
    let hi = ifc.baseHi;
    if (lo >= TWO32) {
      lo -= TWO32;
      hi += 1;
    }

    const o = this.out;
    const fits = o.reserve(total);
    if (!fits) {
      this.writeBigEpb(total, ifIndex, hi, lo, caplen, opts?.origLen ?? data.length, data.subarray(0, caplen), comment);
      this.count++;
      return;
    }
    const v = o.view;
    const p = o.pos;
    v.setUint32(p + PCAPNG_EPB_FIELD.TYPE, PCAPNG_EPB, this.le);
    v.setUint32(p + PCAPNG_EPB_FIELD.TOTAL_LEN, total, this.le);
    v.setUint32(p + PCAPNG_EPB_FIELD.IFACE, ifIndex, this.le);
    v.setUint32(p + PCAPNG_EPB_FIELD.TS_HIGH, hi, this.le);
    v.setUint32(p + PCAPNG_EPB_FIELD.TS_LOW, lo, this.le);
    v.setUint32(p + PCAPNG_EPB_FIELD.CAPLEN, caplen, this.le);
    v.setUint32(p + PCAPNG_EPB_FIELD.ORIGLEN, Math.max(opts?.origLen ?? data.length, caplen), this.le);
    o.bytes.set(caplen === data.length ? data : data.subarray(0, caplen), p + PCAPNG_EPB_FIELD.DATA);
    o.bytes.fill(0, p + PCAPNG_EPB_FIELD.DATA + caplen, p + PCAPNG_EPB_FIELD.DATA + padded);
    let q = p + PCAPNG_EPB_FIELD.DATA + padded;
    if (comment) q = this.putOptions(q, [[PCAPNG_OPT.COMMENT, comment]]);
    v.setUint32(q, total, this.le);
    o.pos = p + total;
    this.count++;
  }

  /**
   * Attaches a free-standing note to the file as a pcapng Custom Block
   * (PEN + UTF-8 text, zero-padded to 4 bytes: the block has no length of
   * its own for the data, so readers should strip trailing NULs).
   * Beware: Wireshark 4.x lists a Custom Block as a record of its own, so it
   * takes a frame number there while packet-only readers skip it. When frame
   * numbers must agree across tools, attach the note to a packet instead
   * (writeEnhancedPacket's opts.comment, shown by Wireshark as a packet
   * comment) or to the whole file (the SHB comment option).
   */
  writeNote(text: string, opts: { pen?: number; copyable?: boolean } = {}): void {
    const data = utf8(text);
    const padded = (data.length + 3) & ~3;
    const total = PCAPNG_CB_FIELD.DATA + padded + PCAPNG_BLOCK_TRAILER_LEN;
    const chunk = new Uint8Array(total);
    const v = new DataView(chunk.buffer);
    v.setUint32(PCAPNG_CB_FIELD.TYPE, opts.copyable === false ? PCAPNG_CB_NOCOPY : PCAPNG_CB_COPY, this.le);
    v.setUint32(PCAPNG_CB_FIELD.TOTAL_LEN, total, this.le);
    v.setUint32(PCAPNG_CB_FIELD.PEN, opts.pen ?? PEN_DOCUMENTATION, this.le);
    chunk.set(data, PCAPNG_CB_FIELD.DATA);
    v.setUint32(total - 4, total, this.le);
    this.putChunk(chunk);
  }

  get interfaceCount(): number {
    return this.ifaces.length;
  }

  // -- internals --

  private putChunk(chunk: Uint8Array): void {
    if (this.out.reserve(chunk.length)) {
      this.out.bytes.set(chunk, this.out.pos);
      this.out.pos += chunk.length;
    } else {
      this.out.writeDirect(chunk);
    }
  }

  /** Writes options + opt_endofopt at absolute buffer position q; returns the position after them. */
  private putOptions(q: number, options: Array<[number, Uint8Array]>): number {
    const v = this.out.view;
    let p = q;
    for (const [code, value] of options) {
      v.setUint16(p, code, this.le);
      v.setUint16(p + 2, value.length, this.le);
      this.out.bytes.set(value, p + 4);
      const end = p + optLen(value.length);
      this.out.bytes.fill(0, p + 4 + value.length, end);
      p = end;
    }
    v.setUint32(p, 0, this.le); // opt_endofopt, length 0
    return p + 4;
  }

  /** Generic small block: fixed body of fixedLen bytes after the 8-byte header, then options. */
  private writeBlock(type: number, fixedLen: number, options: Array<[number, Uint8Array]>, fill: (v: DataView, p: number) => void): void {
    const optsLen = options.length ? options.reduce((n, [, val]) => n + optLen(val.length), 0) + 4 : 0;
    const total = PCAPNG_BLOCK_HEADER_LEN + fixedLen + optsLen + PCAPNG_BLOCK_TRAILER_LEN;
    if (!this.out.reserve(total)) throw new RangeError(`pcapng block of ${total} bytes exceeds the write buffer`);
    const v = this.out.view;
    const p = this.out.pos;
    v.setUint32(p, type, this.le);
    v.setUint32(p + 4, total, this.le);
    fill(v, p);
    let q = p + PCAPNG_BLOCK_HEADER_LEN + fixedLen;
    if (options.length) q = this.putOptions(q, options);
    v.setUint32(q, total, this.le);
    this.out.pos = p + total;
  }

  /** An EPB larger than the buffer: assembled on its own and written straight through. */
  private writeBigEpb(total: number, ifIndex: number, hi: number, lo: number, caplen: number, origLen: number, data: Uint8Array, comment: Uint8Array | null): void {
    const chunk = new Uint8Array(total);
    const v = new DataView(chunk.buffer);
    v.setUint32(PCAPNG_EPB_FIELD.TYPE, PCAPNG_EPB, this.le);
    v.setUint32(PCAPNG_EPB_FIELD.TOTAL_LEN, total, this.le);
    v.setUint32(PCAPNG_EPB_FIELD.IFACE, ifIndex, this.le);
    v.setUint32(PCAPNG_EPB_FIELD.TS_HIGH, hi, this.le);
    v.setUint32(PCAPNG_EPB_FIELD.TS_LOW, lo, this.le);
    v.setUint32(PCAPNG_EPB_FIELD.CAPLEN, caplen, this.le);
    v.setUint32(PCAPNG_EPB_FIELD.ORIGLEN, Math.max(origLen, caplen), this.le);
    chunk.set(data, PCAPNG_EPB_FIELD.DATA);
    let q = PCAPNG_EPB_FIELD.DATA + ((caplen + 3) & ~3);
    if (comment) {
      v.setUint16(q, PCAPNG_OPT.COMMENT, this.le);
      v.setUint16(q + 2, comment.length, this.le);
      chunk.set(comment, q + 4);
      q += optLen(comment.length);
      q += 4; // opt_endofopt is already zero
    }
    v.setUint32(q, total, this.le);
    this.out.writeDirect(chunk);
  }
}

function utf8(s: string): Uint8Array {
  return Buffer.from(s, 'utf8');
}

/** A writer for either format with one Ethernet (or given link type) interface. */
export function openCaptureWriter(
  path: string,
  format: CaptureFormat,
  opts: { endian?: Endianness; precision?: TimestampPrecision; linkType?: number; snaplen?: number; bufferSize?: number } = {},
): PacketSink {
  if (format === 'pcap') return new PcapWriter(path, opts);
  return new PcapngWriter(path, {
    endian: opts.endian,
    bufferSize: opts.bufferSize,
    interfaces: [{ linkType: opts.linkType ?? LINKTYPE_ETHERNET, snaplen: opts.snaplen, precision: opts.precision }],
  });
}
