// pcapng: sections in either byte order, many interfaces each with its own
// link type and timestamp resolution; EPB, SPB and the obsolete packet block.

import type { FrameInfo } from '../../dissectors/types.js';
import { CaptureError, type CaptureFacts, type FrameEmitter, type InterfaceFacts, type RecordParser } from './types.js';

export const PCAPNG_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BT_IDB = 1;
const BT_OBSOLETE_PACKET = 2;
const BT_SPB = 3;
const BT_EPB = 6;
const BLOCK_HEADER_LEN = 8;
const MIN_BLOCK_LEN = 12;
/** Larger blocks than this are corrupt lengths, not packets. */
const MAX_BLOCK_LEN = 64 * 1024 * 1024;
const OPT_END = 0;
const OPT_IF_NAME = 2;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

interface Iface extends InterfaceFacts {
  /** Divisor from units to seconds when it is a power of ten <= 1e9, else 0 (BigInt path). */
  decimalDiv: number;
  /** Power-of-two resolution exponent, or -1. */
  binaryExp: number;
  /** Decimal exponent when > 9 (finer than nanoseconds). */
  fineExp: number;
  tsOffset: number;
}

/** Split a 64-bit unit count hi:lo into whole seconds and nanoseconds, exactly, into `info` (no object per packet). */
function setTimestamp(info: FrameInfo, hi: number, lo: number, ifc: Iface): void {
  const d = ifc.decimalDiv;
  if (d > 0 && hi < 0x200000) {
    // Below 2^53 units (microseconds until the year 2255) the count is exact as a double, and so is
    // one division: a correctly rounded quotient of integers below 2^53 never rounds up to the next integer.
    const v = hi * 4294967296 + lo;
    const sec = Math.floor(v / d);
    info.tsSec = sec + ifc.tsOffset;
    info.tsNsec = (v - sec * d) * (1e9 / d);
    return;
  }
  if (d > 0) {
    // Long division in base 2^16 keeps every intermediate below 2^53.
    const qh = Math.floor(hi / d);
    const t1 = (hi % d) * 65536 + (lo >>> 16);
    const q1 = Math.floor(t1 / d);
    const t2 = (t1 % d) * 65536 + (lo & 0xffff);
    const q2 = Math.floor(t2 / d);
    const r = t2 % d;
    info.tsSec = qh * 4294967296 + q1 * 65536 + q2 + ifc.tsOffset;
    info.tsNsec = r * (1e9 / d);
    return;
  }
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  const per = ifc.binaryExp >= 0 ? 1n << BigInt(ifc.binaryExp) : 10n ** BigInt(ifc.fineExp);
  info.tsSec = Number(v / per) + ifc.tsOffset;
  info.tsNsec = Number(((v % per) * 1_000_000_000n) / per);
}

function makeIface(linkType: number, snaplen: number): Iface {
  return { linkType, snaplen, tsUnitsPerSec: 1e6, name: null, decimalDiv: 1e6, binaryExp: -1, fineExp: 0, tsOffset: 0 };
}

/** Finer resolutions than these are no clock's: 2^-40 s and 10^-12 s are both about a picosecond. */
const MAX_BINARY_EXP = 40;
const MAX_DECIMAL_EXP = 12;
/** An if_tsoffset beyond 2^32 s (past 2106, before 1834) puts every packet at an absurd time. */
const MAX_TS_OFFSET = 2 ** 32;

/** if_tsresol as text: "6 (10^-6 s)", "0x88 (2^-8 s)". */
function resolutionText(v: number): string {
  return v & 0x80 ? `0x${v.toString(16)} (2^-${v & 0x7f} s)` : `${v} (10^-${v} s)`;
}

/** Sets the interface's resolution; false (leaving microseconds) for one no clock has. */
function setResolution(ifc: Iface, v: number): boolean {
  if ((v & 0x80 ? v & 0x7f : v) > (v & 0x80 ? MAX_BINARY_EXP : MAX_DECIMAL_EXP)) return false;
  if (v & 0x80) {
    const e = v & 0x7f;
    ifc.binaryExp = e;
    ifc.decimalDiv = 0;
    ifc.tsUnitsPerSec = 2 ** e;
  } else {
    ifc.tsUnitsPerSec = 10 ** v;
    if (v <= 9) ifc.decimalDiv = 10 ** v;
    else {
      ifc.decimalDiv = 0;
      ifc.fineExp = v;
    }
  }
  return true;
}

export class PcapngParser implements RecordParser {
  private le = true;
  private inSection = false;
  private ifaces: Iface[] = [];
  private need = MIN_BLOCK_LEN;
  private frame = 0;
  private sections = 0;
  /** Packet blocks naming an interface their section does not describe: skipped, and told in one warning (kept up to date at `missingWarning`). */
  private missingIface = 0;
  private missingWarning = -1;
  private missingFirst = '';
  /** Filled anew for every packet: the emitter copies what it keeps. */
  private readonly info: FrameInfo = { frame: 0, tsSec: 0, tsNsec: 0, caplen: 0, len: 0, linkType: 0, iface: 0 };

  constructor(private readonly source: string, private readonly facts: CaptureFacts, private readonly emit: FrameEmitter) {}

  needed(): number {
    return this.need;
  }

  parse(b: Uint8Array, off: number, end: number, fileOffset: number): number {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (;;) {
      if (end - off < MIN_BLOCK_LEN) {
        this.need = MIN_BLOCK_LEN;
        return off;
      }
      const at = fileOffset + off;
      let type = dv.getUint32(off, this.le);
      if (dv.getUint32(off, false) === PCAPNG_SHB) {
        // A section header settles the byte order of everything up to the next one.
        const magic = dv.getUint32(off + 8, true);
        if (magic === BYTE_ORDER_MAGIC) this.le = true;
        else if (magic === 0x4d3c2b1a) this.le = false;
        else throw this.corrupt(at, 'section header with bad byte-order magic');
        type = PCAPNG_SHB;
      } else if (!this.inSection) {
        throw new CaptureError(`${this.source}: not a pcapng file (no section header at byte ${at})`);
      }
      const total = dv.getUint32(off + 4, this.le);
      if (total < MIN_BLOCK_LEN || total % 4 !== 0 || total > MAX_BLOCK_LEN) {
        throw this.corrupt(at, `block length ${total} is invalid (corrupt file)`);
      }
      if (end - off < total) {
        this.need = total;
        return off;
      }
      if (dv.getUint32(off + total - 4, this.le) !== total) {
        throw this.corrupt(at, `trailing block length does not match ${total} (corrupt file)`);
      }
      const body = off + BLOCK_HEADER_LEN;
      const bodyEnd = off + total - 4;
      switch (type) {
        case PCAPNG_SHB: this.sectionHeader(dv, body, bodyEnd, at); break;
        case BT_IDB: this.interfaceBlock(dv, body, bodyEnd, at); break;
        case BT_EPB: this.enhancedPacket(b, dv, body, bodyEnd, at); break;
        case BT_SPB: this.simplePacket(b, dv, body, bodyEnd, at); break;
        case BT_OBSOLETE_PACKET: this.obsoletePacket(b, dv, body, bodyEnd, at); break;
        default: break; // name resolution, statistics, custom and unknown blocks carry no packets
      }
      off += total;
    }
  }

  /** The error for the block at file offset `at` (its text is made only here, not per block). */
  private corrupt(at: number, what: string): CaptureError {
    return new CaptureError(`${this.source}: block at byte ${at}: ${what}`);
  }

  private sectionHeader(dv: DataView, p: number, end: number, at: number): void {
    if (end - p < 8) throw this.corrupt(at, 'section header too short');
    const major = dv.getUint16(p + 4, this.le);
    const minor = dv.getUint16(p + 6, this.le);
    if (major !== 1) throw this.corrupt(at, `unsupported pcapng version ${major}.${minor}`);
    this.inSection = true;
    this.ifaces = [];
    this.sections++;
    this.facts.format = 'pcapng';
    this.facts.byteOrder ??= this.le ? 'le' : 'be';
  }

  private interfaceBlock(dv: DataView, p: number, end: number, at: number): void {
    if (end - p < 8) throw this.corrupt(at, 'interface description too short');
    const ifc = makeIface(dv.getUint16(p, this.le), dv.getUint32(p + 4, this.le));
    let badResolution = -1;
    let badOffset: bigint | null = null;
    for (let o = p + 8; o + 4 <= end; ) {
      const code = dv.getUint16(o, this.le);
      const len = dv.getUint16(o + 2, this.le);
      const v = o + 4;
      if (code === OPT_END || v + len > end) break;
      if (code === OPT_IF_TSRESOL && len >= 1) {
        if (!setResolution(ifc, dv.getUint8(v))) badResolution = dv.getUint8(v);
      } else if (code === OPT_IF_TSOFFSET && len >= 8) {
        const offset = dv.getBigInt64(v, this.le);
        if (offset > BigInt(MAX_TS_OFFSET) || offset < -BigInt(MAX_TS_OFFSET)) badOffset = offset;
        else ifc.tsOffset = Number(offset);
      } else if (code === OPT_IF_NAME) ifc.name = new TextDecoder().decode(new Uint8Array(dv.buffer, dv.byteOffset + v, len)).replace(/\0+$/, '');
      o = v + ((len + 3) & ~3);
    }
    // A resolution or offset that cannot be right would put every packet of the interface at time 0 or in another
    // millennium without a word: said once, and read as microseconds from the epoch instead.
    const which = `interface ${this.ifaces.length}${ifc.name ? ` (${ifc.name})` : ''}, block at byte ${at}`;
    if (badResolution >= 0) this.facts.warnings.push(`${this.source}: ${which}: if_tsresol ${resolutionText(badResolution)} cannot be right; its timestamps are read as microseconds`);
    if (badOffset !== null) this.facts.warnings.push(`${this.source}: ${which}: if_tsoffset ${badOffset} s cannot be right (more than 2^32 s from the epoch); ignored`);
    this.ifaces.push(ifc);
    const { linkType, snaplen, tsUnitsPerSec, name } = ifc;
    this.facts.interfaces.push({ linkType, snaplen, tsUnitsPerSec, name });
  }

  /** The interface a packet block names, or null (the packet is skipped, and counted into one warning). */
  private iface(id: number, at: number): Iface | null {
    const ifc = this.ifaces[id];
    if (ifc) return ifc;
    const first = this.missingIface++ === 0;
    const text = `${this.source}: ${this.missingIface} packet block${this.missingIface === 1 ? ' names' : 's name'} an interface the section does not describe; skipped`;
    if (first) {
      this.missingWarning = this.facts.warnings.length;
      this.missingFirst = ` (the first: interface ${id} in the block at byte ${at}; the section describes ${this.ifaces.length})`;
      this.facts.warnings.push(text + this.missingFirst);
    } else this.facts.warnings[this.missingWarning] = text + this.missingFirst;
    return null;
  }

  private packet(b: Uint8Array, ifId: number, ifc: Iface, hi: number, lo: number, data: number, caplen: number, len: number): void {
    const info = this.info;
    setTimestamp(info, hi, lo, ifc);
    info.frame = ++this.frame;
    info.caplen = caplen;
    info.len = Math.max(len, caplen);
    info.linkType = ifc.linkType;
    info.iface = ifId;
    this.emit(info, b, data);
  }

  private enhancedPacket(b: Uint8Array, dv: DataView, p: number, end: number, at: number): void {
    if (end - p < 20) throw this.corrupt(at, 'enhanced packet block too short');
    const ifId = dv.getUint32(p, this.le);
    const caplen = dv.getUint32(p + 12, this.le);
    if (p + 20 + caplen > end) throw this.corrupt(at, `captured length ${caplen} overruns its block`);
    const ifc = this.iface(ifId, at);
    if (ifc) this.packet(b, ifId, ifc, dv.getUint32(p + 4, this.le), dv.getUint32(p + 8, this.le), p + 20, caplen, dv.getUint32(p + 16, this.le));
  }

  private simplePacket(b: Uint8Array, dv: DataView, p: number, end: number, at: number): void {
    if (end - p < 4) throw this.corrupt(at, 'simple packet block too short');
    const ifc = this.iface(0, at);
    if (!ifc) return;
    const len = dv.getUint32(p, this.le);
    let caplen = Math.min(len, end - p - 4);
    if (ifc.snaplen > 0) caplen = Math.min(caplen, ifc.snaplen);
    // SPBs carry no timestamp.
    this.packet(b, 0, ifc, 0, 0, p + 4, caplen, len);
  }

  private obsoletePacket(b: Uint8Array, dv: DataView, p: number, end: number, at: number): void {
    if (end - p < 20) throw this.corrupt(at, 'packet block too short');
    const ifId = dv.getUint16(p, this.le);
    const caplen = dv.getUint32(p + 12, this.le);
    if (p + 20 + caplen > end) throw this.corrupt(at, `captured length ${caplen} overruns its block`);
    const ifc = this.iface(ifId, at);
    if (ifc) this.packet(b, ifId, ifc, dv.getUint32(p + 4, this.le), dv.getUint32(p + 8, this.le), p + 20, caplen, dv.getUint32(p + 16, this.le));
  }
}
