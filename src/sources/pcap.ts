// Classic libpcap files: either byte order, microsecond or nanosecond magic.

import type { FrameInfo } from '../../dissectors/types.js';
import { CaptureError, type CaptureFacts, type FrameEmitter, type RecordParser } from './types.js';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAP_MAGIC_KUZNETSOV = 0xa1b2cd34;
export const PCAP_FILE_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;
/** tshark's limit for ordinary link types; a bigger caplen means a corrupt header. */
const MAX_CAPLEN_DEFAULT = 262144;
const MAX_CAPLEN_ABSOLUTE = 16 * 1024 * 1024;

/** Returns the byte order and precision a classic pcap magic stands for, or null. */
export function pcapMagic(b: Uint8Array): { le: boolean; nanos: boolean } | null {
  if (b.length < 4) return null;
  const be = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  const le = ((b[3] << 24) | (b[2] << 16) | (b[1] << 8) | b[0]) >>> 0;
  if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS) return { le: false, nanos: be === PCAP_MAGIC_NS };
  if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS) return { le: true, nanos: le === PCAP_MAGIC_NS };
  return null;
}

export function isKuznetsovPcap(b: Uint8Array): boolean {
  const be = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  const le = ((b[3] << 24) | (b[2] << 16) | (b[1] << 8) | b[0]) >>> 0;
  return be === PCAP_MAGIC_KUZNETSOV || le === PCAP_MAGIC_KUZNETSOV;
}

export class PcapParser implements RecordParser {
  private headerDone = false;
  private le = true;
  private nanos = false;
  private linkType = 1;
  private maxCaplen = MAX_CAPLEN_DEFAULT;
  private need = PCAP_FILE_HEADER_LEN;
  private frame = 0;
  /** Filled anew for every record: the emitter copies what it keeps. */
  private readonly info: FrameInfo = { frame: 0, tsSec: 0, tsNsec: 0, caplen: 0, len: 0, linkType: 0, iface: 0 };

  constructor(private readonly source: string, private readonly facts: CaptureFacts, private readonly emit: FrameEmitter) {}

  needed(): number {
    return this.need;
  }

  parse(b: Uint8Array, off: number, end: number, fileOffset: number): number {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (!this.headerDone) {
      if (end - off < PCAP_FILE_HEADER_LEN) return off;
      const m = pcapMagic(b.subarray(off, off + 4));
      if (!m) throw new CaptureError(`${this.source}: not a pcap file (bad magic)`);
      this.le = m.le;
      this.nanos = m.nanos;
      const snaplen = dv.getUint32(off + 16, this.le);
      // The upper bits of the link-type field carry FCS information.
      this.linkType = dv.getUint32(off + 20, this.le) & 0x03ffffff;
      this.maxCaplen = Math.min(Math.max(MAX_CAPLEN_DEFAULT, snaplen), MAX_CAPLEN_ABSOLUTE);
      this.facts.format = 'pcap';
      this.facts.byteOrder = this.le ? 'le' : 'be';
      this.facts.interfaces.push({ linkType: this.linkType, snaplen, tsUnitsPerSec: this.nanos ? 1e9 : 1e6, name: null });
      this.headerDone = true;
      off += PCAP_FILE_HEADER_LEN;
    }
    const le = this.le;
    const nsMul = this.nanos ? 1 : 1000;
    const linkType = this.linkType;
    for (;;) {
      if (end - off < RECORD_HEADER_LEN) {
        this.need = RECORD_HEADER_LEN;
        return off;
      }
      const caplen = dv.getUint32(off + 8, le);
      if (caplen > this.maxCaplen) {
        throw new CaptureError(
          `${this.source}: record ${this.frame + 1} at byte ${fileOffset + off}: captured length ${caplen} exceeds the maximum ${this.maxCaplen} (corrupt file)`,
        );
      }
      if (end - off < RECORD_HEADER_LEN + caplen) {
        this.need = RECORD_HEADER_LEN + caplen;
        return off;
      }
      let tsSec = dv.getUint32(off, le);
      let tsNsec = dv.getUint32(off + 4, le) * nsMul;
      // A fraction of a second or more in the fraction field carries into the seconds.
      if (tsNsec >= 1e9) {
        tsSec += Math.floor(tsNsec / 1e9);
        tsNsec %= 1e9;
      }
      const len = dv.getUint32(off + 12, le);
      const info = this.info;
      info.frame = ++this.frame;
      info.tsSec = tsSec;
      info.tsNsec = tsNsec;
      info.caplen = caplen;
      info.len = len > caplen ? len : caplen;
      info.linkType = linkType;
      off += RECORD_HEADER_LEN;
      this.emit(info, b, off);
      off += caplen;
    }
  }
}
